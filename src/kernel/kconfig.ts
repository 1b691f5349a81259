/**
 * Kconfig values: a .config parsed into NAME → value, and options (NAME, value, why) rendered as a
 * .config fragment or checked against a resolved config.
 */
/**
 * What Kconfig writes from a .config for the build (syncconfig, or olddefconfig in a tree without
 * them), relative to the top of a tree: a kernel's headers package ships them as its build made
 * them. The build reads them; the top Makefile also reads KCONFIG_DEPENDENCIES, Kconfig's record
 * of what they were made from, and makes them again when it is missing or older than .config.
 */
export const KCONFIG_OUTPUTS: readonly string[] = [
  'include/config/auto.conf',
  'include/generated/autoconf.h',
  'include/generated/rustc_cfg',
];
export const KCONFIG_DEPENDENCIES = 'include/config/auto.conf.cmd';

export type KconfigValue = 'y' | 'm' | 'n' | string;

export interface KconfigOption {
  name: string;
  value: KconfigValue;
  why: string;
}

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
  return (
    options.map((o) => (o.value === 'n' ? `# CONFIG_${o.name} is not set` : `CONFIG_${o.name}=${o.value}`)).join('\n') +
    '\n'
  );
}

/** Options whose value in the resolved config differs from the request. */
export function droppedOptions(config: Map<string, string>, options: readonly KconfigOption[]) {
  return options
    .map((o) => ({ option: o, actual: config.get(o.name) ?? 'n' }))
    .filter(({ option, actual }) => actual !== option.value);
}
