import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../../util/errors.js';
import { MODULES_FIELD } from '../package/layout.js';
import { COMPONENT, SUITES } from './layout.js';

function parseStanzas(text: string): Map<string, string>[] {
  return text.split(/\n\s*\n/).map((stanza) => {
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      const match = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
      if (match) fields.set(match[1]!.toLowerCase(), match[2]!);
    }
    return fields;
  });
}

/** The published versions of PACKAGE with their module names, from every suite's Packages files. */
async function publishedModules(
  publicDir: string,
  name: string,
): Promise<{ suite: string; version: string; modules: string[] }[]> {
  const found: { suite: string; version: string; modules: string[] }[] = [];
  for (const suite of SUITES) {
    const component = join(publicDir, 'dists', suite, COMPONENT);
    const archs = (await readdir(component).catch(() => [] as string[])).filter((d) => d.startsWith('binary-'));
    for (const arch of archs) {
      const text = await readFile(join(component, arch, 'Packages'), 'utf8').catch(() => '');
      for (const stanza of parseStanzas(text)) {
        if (stanza.get('package') !== name) continue;
        const modules = (stanza.get(MODULES_FIELD.toLowerCase()) ?? '').split(/\s+/).filter(Boolean);
        found.push({ suite, version: stanza.get('version') ?? '', modules });
      }
    }
  }
  return found;
}

/**
 * A new version of a patch package must not reuse a module name of a version already
 * published: the kernel cannot load a module whose name is loaded, so the upgrade could not
 * replace the running patch. Refused here, before any machine sees it.
 */
export async function checkModuleNamesAgainstPublished(publicDir: string, deb: string): Promise<void> {
  const result = await execa('dpkg-deb', ['-f', deb, 'Package', 'Version', MODULES_FIELD]);
  const fields = parseStanzas(String(result.stdout))[0]!;
  const modules = (fields.get(MODULES_FIELD.toLowerCase()) ?? '').split(/\s+/).filter(Boolean);
  const name = fields.get('package');
  const version = fields.get('version');
  if (!name || modules.length === 0) return;
  for (const other of await publishedModules(publicDir, name)) {
    if (other.version === version) continue;
    const shared = modules.filter((m) => other.modules.includes(m));
    if (shared.length > 0) {
      throw new UserError(
        `${deb}: ${name} ${version} reuses module name ${shared.join(', ')} of ${name} ${other.version} (in ${other.suite}); machines running that version could not load this one over it`,
        {
          hint: `build each version with its own module name, e.g. --name ${shared[0]!.replace(/_/g, '-').replace(/-\d+$/, '')}-<n>`,
        },
      );
    }
  }
}
