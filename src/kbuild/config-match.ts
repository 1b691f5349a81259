/**
 * The tree's config after `olddefconfig` must be the running kernel's: an option olddefconfig
 * changed, dropped or added means the objects would be built for another kernel. Compared both
 * ways, every difference named.
 */
import { readFile } from 'node:fs/promises';
import { UserError } from '../util/errors.js';
import { parseKconfig } from '../kernel/kconfig.js';

/**
 * Options Kconfig derives from the toolchain itself: its versions (`CC_VERSION_TEXT`,
 * `GCC_VERSION`, `LD_VERSION`, ...) and what it was probed to support (`CC_HAS_*`, `AS_HAS_*`,
 * ...). They differ whenever the compiler or linker does, which --skip-compiler-check accepts.
 */
export function isToolchainOption(name: string): boolean {
  return (
    /^(CC_VERSION_TEXT|(GCC|CLANG|AS|LD|LLD)_VERSION|CC_IS_(GCC|CLANG)|AS_IS_(GNU|LLVM)|LD_IS_(BFD|LLD))$/.test(name) ||
    /^((CC|AS|LD)_HAS|CC_CAN|TOOLS_SUPPORT)_/.test(name)
  );
}

export interface ConfigDifference {
  /** Without CONFIG_. */
  name: string;
  /** Added: set by olddefconfig, not in the running kernel's; removed: the reverse; changed: set in both, to other values. */
  kind: 'added' | 'removed' | 'changed';
  /** 'n' when unset or absent. */
  runningKernel: string;
  build: string;
}

/** Every option whose value differs between the two configs (unset and absent both count as n), in name order. */
export function configDifferences(
  runningKernel: ReadonlyMap<string, string>,
  build: ReadonlyMap<string, string>,
): ConfigDifference[] {
  const names = [...new Set([...runningKernel.keys(), ...build.keys()])].sort();
  const differences: ConfigDifference[] = [];
  for (const name of names) {
    const want = runningKernel.get(name) ?? 'n';
    const got = build.get(name) ?? 'n';
    if (want === got) continue;
    const kind = want === 'n' ? 'added' : got === 'n' ? 'removed' : 'changed';
    differences.push({ name, kind, runningKernel: want, build: got });
  }
  return differences;
}

function describe(d: ConfigDifference): string {
  const value = (v: string) => (v === 'n' ? 'not set' : v);
  return `CONFIG_${d.name} ${d.kind}: running kernel ${value(d.runningKernel)}, this build ${value(d.build)}`;
}

/**
 * Check the config olddefconfig resolved (RESOLVED) against the running kernel's (GIVEN).
 * With `skipCompilerCheck`, differences in the toolchain's own options are returned as warnings;
 * any other difference is refused (exit status 1), each named with both values.
 */
export async function checkConfigMatches(
  given: string,
  resolved: string,
  options: { skipCompilerCheck?: boolean } = {},
): Promise<string[]> {
  const differences = configDifferences(
    parseKconfig(await readFile(given, 'utf8')),
    parseKconfig(await readFile(resolved, 'utf8')),
  );
  const toolchain = differences.filter((d) => isToolchainOption(d.name));
  const refused = options.skipCompilerCheck ? differences.filter((d) => !isToolchainOption(d.name)) : differences;
  if (refused.length > 0) {
    const shown = refused.slice(0, 20).map(describe);
    if (refused.length > shown.length) shown.push(`... and ${refused.length - shown.length} more`);
    const onlyToolchain = toolchain.length === refused.length;
    throw new UserError(
      `the config ${given} does not survive olddefconfig in this source tree with this compiler:\n  ${shown.join('\n  ')}`,
      {
        hint: onlyToolchain
          ? 'the compiler (or linker) is not the one the running kernel was built with: install that one (or --skip-compiler-check, at your own risk: the objects may not match the running code)'
          : 'the source, the config and the compiler must be the ones the running kernel was built with',
      },
    );
  }
  return toolchain.map((d) => `--skip-compiler-check: ${describe(d)}`);
}
