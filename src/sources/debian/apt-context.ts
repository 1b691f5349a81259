import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { cacheRoot } from '../../util/cache.js';
import { UserError } from '../../util/errors.js';
import { sha256 } from '../../util/hash.js';
import { withDirLock } from '../../util/lock.js';
import type { Logger } from '../../util/log.js';
import type { DistroArchive, DistroRelease } from '../../kernel/distributions.js';

/**
 * The tool's own apt configuration for one distribution release's archive: its own sources
 * (the table's suites and keyring), package lists, package cache and an empty dpkg status, so
 * that what the archive holds never depends on the host's sources.list, on whether anyone ran
 * `apt-get update`, or on root. The host's apt.conf.d is still read (proxies, transports).
 */
export interface AptContext {
  /** The distribution release's id, for messages. */
  id: string;
  /** Where the sources, lists and cache live (the hash of the sources names it: a changed table entry never reuses stale lists). */
  dir: string;
  /** `-o` options that point apt-get and apt-cache at DIR. */
  options: readonly string[];
}

/** The sources of ARCHIVE in deb822 format, one stanza per URI. */
export function archiveSources(archive: DistroArchive): string {
  const byUri = new Map<string, string[]>();
  archive.suites.forEach((suite, i) => {
    const uri = archive.uris[i]!;
    byUri.set(uri, [...(byUri.get(uri) ?? []), suite]);
  });
  return [...byUri]
    .map(
      ([uri, suites]) =>
        `Types: deb\nURIs: ${uri}\nSuites: ${suites.join(' ')}\nComponents: main\nArchitectures: amd64\nSigned-By: ${archive.keyring}\n`,
    )
    .join('\n');
}

/** The apt context of DISTRO's archive (see AptContext); nothing is written until ensureLists. */
export function aptContext(distro: DistroRelease): AptContext {
  const sources = archiveSources(distro.archive);
  const dir = join(cacheRoot(), 'apt', `${distro.id}-${sha256(sources).slice(0, 12)}`);
  const options = [
    `Dir::Etc::SourceList=${join(dir, 'sources.list')}`,
    `Dir::Etc::SourceParts=${join(dir, 'sources.list.d')}`,
    `Dir::Etc::Preferences=${join(dir, 'preferences')}`,
    `Dir::Etc::PreferencesParts=${join(dir, 'preferences.d')}`,
    `Dir::State=${join(dir, 'state')}`,
    `Dir::State::Lists=${join(dir, 'lists')}`,
    `Dir::State::status=${join(dir, 'status')}`,
    `Dir::Cache=${join(dir, 'cache')}`,
    'APT::Architecture=amd64',
    'APT::Architectures::=amd64',
    'Acquire::Languages=none',
    // apt drops root to its _apt user for downloads, which cannot write the tool's cache.
    ...(process.getuid?.() === 0 ? ['APT::Sandbox::User=root'] : []),
  ].flatMap((option) => ['-o', option]);
  return { id: distro.id, dir, options };
}

const STAMP = 'updated';

/** When CONTEXT's lists were last fetched (undefined: never). */
async function listsAge(context: AptContext): Promise<number | undefined> {
  const info = await stat(join(context.dir, STAMP)).catch(() => undefined);
  return info ? Date.now() - info.mtimeMs : undefined;
}

async function writeConfiguration(context: AptContext, distro: DistroRelease): Promise<void> {
  for (const sub of ['sources.list.d', 'preferences.d', 'state', 'lists/partial', 'cache/archives/partial'])
    await mkdir(join(context.dir, sub), { recursive: true });
  await writeFile(join(context.dir, 'sources.list.d', `${distro.id}.sources`), archiveSources(distro.archive));
  await writeFile(join(context.dir, 'sources.list'), '');
  await writeFile(join(context.dir, 'status'), '');
}

const lastTail = (text: unknown) =>
  String(text ?? '')
    .trim()
    .split('\n')
    .slice(-8)
    .join('\n');

/**
 * Fetch CONTEXT's package lists when they are missing or older than MAXAGE milliseconds (the
 * archive moves: security updates add releases, old ones leave). Several processes share one
 * context: one fetches, the others wait for it and use its lists.
 */
export async function ensureLists(
  context: AptContext,
  distro: DistroRelease,
  log: Logger,
  maxAge = Number.POSITIVE_INFINITY,
): Promise<void> {
  const fresh = async () => {
    const age = await listsAge(context);
    return age !== undefined && age <= maxAge;
  };
  if (await fresh()) return;
  await mkdir(context.dir, { recursive: true });
  await withDirLock(
    join(context.dir, 'update.lock'),
    (pid) => log(`waiting for process ${pid}, which is fetching the package lists of ${distro.description}`),
    async () => {
      if (await fresh()) return;
      await writeConfiguration(context, distro);
      log(`fetching the package lists of ${distro.description} (${distro.archive.suites.join(', ')})`);
      const started = Date.now();
      const result = await execa('apt-get', [...context.options, '-q', 'update'], {
        reject: false,
        stdin: 'ignore',
        all: true,
      });
      // apt-get update exits 0 with "W: Failed to fetch" when a suite cannot be reached.
      const failed = result.failed || /^(E:|W: Failed to fetch|W: Some index files failed)/m.test(String(result.all));
      if (failed) {
        throw new UserError(`fetching the package lists of ${distro.description} failed:\n${lastTail(result.all)}`, {
          hint: `the archive (${[...new Set(distro.archive.uris)].join(', ')}) must be reachable; apt's configuration is in ${context.dir}`,
        });
      }
      await writeFile(join(context.dir, STAMP), `${new Date().toISOString()}\n`);
      log(`fetched the package lists of ${distro.description} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    },
  );
}

/** When the lists were fetched, for messages ("lists of 2026-12-07T11:00:00Z"). */
export async function listsDate(context: AptContext): Promise<string | undefined> {
  return (await readFile(join(context.dir, STAMP), 'utf8').catch(() => undefined))?.trim();
}
