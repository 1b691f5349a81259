import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One apt source: where packages come from, which suites and components. */
export interface AptSource {
  uris: string[];
  suites: string[];
  components: string[];
}

/** Sources in one-line format: `deb [options] URI SUITE COMPONENT...`. */
export function parseOneLineSources(text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line.startsWith('deb ') && !line.startsWith('deb\t')) continue;
    const words = line
      .replace(/\[[^\]]*\]/, ' ')
      .split(/\s+/)
      .slice(1);
    const [uri, suite, ...components] = words;
    if (uri && suite) sources.push({ uris: [uri], suites: [suite], components });
  }
  return sources;
}

/** Sources in deb822 format (`.sources` files): stanzas of `Field: value` lines. */
export function parseDeb822Sources(text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#')) continue;
      const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (match) fields.set(match[1]!.toLowerCase(), match[2]!.trim());
    }
    const types = (fields.get('types') ?? '').split(/\s+/);
    if (!types.includes('deb') || fields.get('enabled')?.toLowerCase() === 'no') continue;
    const words = (name: string) => (fields.get(name) ?? '').split(/\s+/).filter((w) => w !== '');
    sources.push({ uris: words('uris'), suites: words('suites'), components: words('components') });
  }
  return sources;
}

/** The mirror holding SUITE's main component (not a security or updates suite). */
export function debianMirrorFrom(sources: readonly AptSource[], suite: string): string | undefined {
  for (const source of sources) {
    if (!source.suites.includes(suite) || !source.components.includes('main')) continue;
    const uri = source.uris.find((u) => /^(https?|file):/.test(u));
    if (uri) return uri.replace(/\/+$/, '');
  }
  return undefined;
}

/**
 * A mirror for SUITE: the one holding its main component, or, for a suite this machine's apt
 * does not use (another distribution release's builder), the mirror of one it does use (a Debian
 * mirror carries every release); undefined when there is neither.
 */
export function debianMirrorFor(sources: readonly AptSource[], suite: string): string | undefined {
  const own = debianMirrorFrom(sources, suite);
  if (own) return own;
  // A release's own suite has no '-': not its -security or -updates (other hosts, other layouts).
  const other = sources.flatMap((s) => s.suites).find((s) => !s.includes('-') && debianMirrorFrom(sources, s));
  return other === undefined ? undefined : debianMirrorFrom(sources, other);
}

/** Read the apt configuration of this machine (sources.list and sources.list.d/*). */
export async function configuredAptSources(etcApt = '/etc/apt'): Promise<AptSource[]> {
  const sources: AptSource[] = [];
  const list = await readFile(join(etcApt, 'sources.list'), 'utf8').catch(() => '');
  sources.push(...parseOneLineSources(list));
  const dir = join(etcApt, 'sources.list.d');
  const names = (await readdir(dir).catch(() => [] as string[])).sort();
  for (const name of names) {
    const text = await readFile(join(dir, name), 'utf8').catch(() => '');
    if (name.endsWith('.list')) sources.push(...parseOneLineSources(text));
    else if (name.endsWith('.sources')) sources.push(...parseDeb822Sources(text));
  }
  return sources;
}
