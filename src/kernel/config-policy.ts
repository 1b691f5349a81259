/**
 * Kernel configurations whose objects cannot be diffed or livepatched safely, as a table:
 * option -> when it is refused -> why, and the refusal category it reports. checkKernelConfig()
 * applies it to a `.config` (the running kernel's, and the one the patched objects are built
 * with) and refuses, naming every offending option with its reason. Indirect branch tracking
 * (X86_KERNEL_IBT) is not refused here: what it forbids is a livepatch that takes the address of
 * a function whose ENDBR is sealed, checked per module (emit/check-ibt.ts).
 */
import { parseKconfig } from './kconfig.js';
import { RefusedError, UserError } from '../util/errors.js';
import type { RefusalCategory } from '../util/refusal.js';

export interface ConfigRule {
  /** The option, without the CONFIG_ prefix. */
  readonly option: string;
  /** 'set': refused when the option is enabled (any value but n); 'unset': refused when it is not. */
  readonly refusedWhen: 'set' | 'unset';
  readonly why: string;
  readonly category: RefusalCategory;
}

const RANDSTRUCT =
  'structure layouts are shuffled with a seed secret to each build, so objects compiled for the patch ' +
  'lay out structures differently from the running kernel unless that exact seed is reused, and a field ' +
  'access would then read or write the wrong memory; the differ cannot see the difference';

const LTO =
  'with link-time optimization the objects hold compiler IR and the machine code is generated when vmlinux ' +
  'is linked, across files (inlining, cloning, removal): comparing per-object code says nothing reliable ' +
  'about the running code';

const LATENT_ENTROPY =
  'the latent_entropy gcc plugin puts constants chosen at random in each compilation into instrumented ' +
  'functions, so the same source compiles to different code every time and every such function looks changed';

const DEBUG_INFO_SPLIT =
  'the DWARF is split out into .dwo files: vmlinux and the objects keep only skeleton debug info, and the ' +
  "special-section entry sizes are read from the running kernel's DWARF";

const GC_SECTIONS =
  'vmlinux is linked with --gc-sections: functions and data the objects define may have been discarded ' +
  'from the running kernel, so the objects do not describe it, and a livepatch could refer to code that is not there';

const LIVEPATCH = 'the kernel has no livepatch core, so no livepatch module can load into it';

export const CONFIG_POLICY: readonly ConfigRule[] = [
  { option: 'LIVEPATCH', refusedWhen: 'unset', why: LIVEPATCH, category: 'config-livepatch-missing' },
  // Linux 5.19 and later name the choice RANDSTRUCT_{NONE,FULL,PERFORMANCE}; earlier, the plugin options.
  { option: 'RANDSTRUCT_FULL', refusedWhen: 'set', why: RANDSTRUCT, category: 'config-randstruct' },
  { option: 'RANDSTRUCT_PERFORMANCE', refusedWhen: 'set', why: RANDSTRUCT, category: 'config-randstruct' },
  { option: 'GCC_PLUGIN_RANDSTRUCT', refusedWhen: 'set', why: RANDSTRUCT, category: 'config-randstruct' },
  { option: 'GCC_PLUGIN_RANDSTRUCT_PERFORMANCE', refusedWhen: 'set', why: RANDSTRUCT, category: 'config-randstruct' },
  { option: 'GCC_PLUGIN_LATENT_ENTROPY', refusedWhen: 'set', why: LATENT_ENTROPY, category: 'config-latent-entropy' },
  { option: 'DEBUG_INFO_SPLIT', refusedWhen: 'set', why: DEBUG_INFO_SPLIT, category: 'config-debug-info-split' },
  // Anything but LTO_NONE: the choice's members and the symbols they select.
  { option: 'LTO_CLANG_FULL', refusedWhen: 'set', why: LTO, category: 'config-lto' },
  { option: 'LTO_CLANG_THIN', refusedWhen: 'set', why: LTO, category: 'config-lto' },
  { option: 'LTO_CLANG', refusedWhen: 'set', why: LTO, category: 'config-lto' },
  { option: 'LTO', refusedWhen: 'set', why: LTO, category: 'config-lto' },
  { option: 'LD_DEAD_CODE_DATA_ELIMINATION', refusedWhen: 'set', why: GC_SECTIONS, category: 'config-gc-sections' },
];

export interface ConfigProblem {
  rule: ConfigRule;
  /** The option's value in the config ('n' when unset or absent). */
  value: string;
}

function isSet(value: string): boolean {
  return value !== 'n';
}

/** The rules a parsed config breaks, in table order. */
export function configProblems(
  config: ReadonlyMap<string, string>,
  policy: readonly ConfigRule[] = CONFIG_POLICY,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const rule of policy) {
    const value = config.get(rule.option) ?? 'n';
    if (isSet(value) === (rule.refusedWhen === 'set')) problems.push({ rule, value });
  }
  return problems;
}

function describeOption({ rule, value }: ConfigProblem): string {
  return rule.refusedWhen === 'unset' ? `CONFIG_${rule.option} is not set` : `CONFIG_${rule.option}=${value}`;
}

/**
 * Refuse a kernel configuration that cannot be livepatched safely: throws a UserError (exit
 * status 2, refused) that names every offending option, options with the same reason on one
 * line. `whose` says which config it is in the message. A text with no CONFIG_ line at all is
 * not a .config and is reported as bad input (exit status 1).
 */
export function checkKernelConfig(configText: string, whose: 'running kernel' | 'build'): void {
  const config = parseKconfig(configText);
  const owner = whose === 'build' ? "the build's kernel configuration" : "the running kernel's configuration";
  if (config.size === 0) {
    throw new UserError(`${owner} has no CONFIG_ lines: it is not a kernel .config`);
  }
  const problems = configProblems(config);
  if (problems.length === 0) return;
  const byReason = new Map<string, ConfigProblem[]>();
  for (const problem of problems) byReason.set(problem.rule.why, [...(byReason.get(problem.rule.why) ?? []), problem]);
  const reasons = [...byReason].map(([why, group]) => ({
    object: '',
    reason: `${group.map(describeOption).join(', ')}: ${why}`,
    category: group[0]!.rule.category,
  }));
  const count = problems.length === 1 ? 'an option' : `${problems.length} options`;
  throw new RefusedError(
    `${owner} has ${count} with which a livepatch cannot be built or applied safely:\n${reasons.map((r) => `  ${r.reason}`).join('\n')}`,
    reasons,
    "tsbuild-patch checks these options in the running kernel's configuration and in the one the patch is built with",
  );
}
