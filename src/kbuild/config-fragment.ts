/**
 * A kconfig fragment in a kernel tree's .config: appended before olddefconfig, and every option
 * checked after it (Kconfig drops options whose dependencies fail without a word).
 */
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { droppedOptions, parseKconfig, renderFragment, type KconfigOption } from '../kernel/kconfig.js';
import { UserError } from '../util/errors.js';

/** Append a fragment to TREE/.config. The caller runs olddefconfig afterwards. */
export async function appendFragment(tree: string, options: readonly KconfigOption[]): Promise<void> {
  await appendFile(join(tree, '.config'), '\n# tsbuild-patch test kernel\n' + renderFragment(options));
}

/** Fail loudly, naming every requested option that Kconfig dropped or changed. */
export async function verifyOptions(tree: string, options: readonly KconfigOption[]): Promise<void> {
  const config = parseKconfig(await readFile(join(tree, '.config'), 'utf8'));
  const dropped = droppedOptions(config, options);
  if (dropped.length > 0) {
    const lines = dropped.map(
      ({ option, actual }) => `  CONFIG_${option.name}: asked ${option.value}, got ${actual} (${option.why})`,
    );
    throw new UserError(
      `kernel config: ${dropped.length} requested option(s) did not survive olddefconfig:\n${lines.join('\n')}`,
      {
        hint: 'an option whose dependencies are not met is dropped silently by Kconfig; add its dependencies',
      },
    );
  }
}
