import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import type { KconfigOption } from '../kernels/test-kernel/options.js';

/** Parse a .config into a map NAME (without CONFIG_) → value; unset options map to 'n'. */
export function parseKconfig(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const set = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (set?.[1] !== undefined && set[2] !== undefined) {
      values.set(set[1], set[2]);
      continue;
    }
    const unset = /^# CONFIG_([A-Za-z0-9_]+) is not set$/.exec(line);
    if (unset?.[1] !== undefined) values.set(unset[1], 'n');
  }
  return values;
}

export function renderFragment(options: readonly KconfigOption[]): string {
  return options
    .map((o) => (o.value === 'n' ? `# CONFIG_${o.name} is not set` : `CONFIG_${o.name}=${o.value}`))
    .join('\n') + '\n';
}

/** Options whose value in the resolved config differs from the request. */
export function droppedOptions(config: Map<string, string>, options: readonly KconfigOption[]) {
  return options
    .map((o) => ({ option: o, actual: config.get(o.name) ?? 'n' }))
    .filter(({ option, actual }) => actual !== option.value);
}

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
    throw new UserError(`kernel config: ${dropped.length} requested option(s) did not survive olddefconfig:\n${lines.join('\n')}`, {
      hint: 'an option whose dependencies are not met is dropped silently by Kconfig; add its dependencies',
    });
  }
}
