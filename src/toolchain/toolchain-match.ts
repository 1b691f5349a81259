import { readFile } from 'node:fs/promises';
import { readElf } from '../elf/index.js';
import type { TargetKernel } from '../kernel/target-kernel.js';
import { UserError } from '../util/errors.js';
import { hostToolchainIdentity, type ToolchainIdentity } from './compiler.js';
import { parseKconfig } from '../kernel/kconfig.js';
import type { Runner } from './runner.js';

/** The compiler as a kernel's vmlinux records it (.comment), e.g. "(Debian 12.2.0-14+deb12u1) 12.2.0". */
export async function kernelCompiler(vmlinux: string): Promise<string> {
  const elf = await readElf(vmlinux);
  const comment = elf.sectionByName('.comment')?.data.toString('latin1') ?? '';
  const gcc = comment.split('\0').find((s) => s.startsWith('GCC: '));
  if (!gcc) throw new UserError(`${vmlinux}: no compiler recorded in .comment`);
  return gcc.slice('GCC: '.length).trim();
}

/**
 * The build tools where RUNNER builds, for CC: a container answers for its image (asked once per
 * image), the host for itself.
 */
export function runnerToolchain(runner: Runner, cc: string): Promise<ToolchainIdentity> {
  return runner.toolchain ? runner.toolchain(cc) : hostToolchainIdentity(cc);
}

/** GNU ld's version as kconfig's LD_VERSION number: "GNU ld (GNU Binutils for Debian) 2.40" → 24000. */
export function ldVersionNumber(versionLine: string): number | undefined {
  const match = /(\d+)\.(\d+)(?:\.(\d+))?\s*$/.exec(versionLine);
  if (!match) return undefined;
  return Number(match[1]) * 10000 + Number(match[2]) * 100 + Number(match[3] ?? 0);
}

/** A gcc version as kconfig's GCC_VERSION number: "12.2.0" → 120200. */
export function gccVersionNumber(version: string): number | undefined {
  const match = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(version.trim());
  if (!match) return undefined;
  return Number(match[1]) * 10000 + Number(match[2] ?? 0) * 100 + Number(match[3] ?? 0);
}

/**
 * Where the running kernel's config says which compiler built it (CONFIG_CC_VERSION_TEXT: the
 * first line of `$(CC) --version`; CONFIG_GCC_VERSION) and CC here says otherwise, what differs.
 */
function configCompilerProblems(
  config: ReadonlyMap<string, string>,
  cc: string,
  ccLine: string,
  version: string,
): string[] {
  const problems: string[] = [];
  const text = configCompilerText(config);
  if (text !== undefined && text !== ccLine) {
    problems.push(`the running kernel's CONFIG_CC_VERSION_TEXT is "${text}", \`${cc} --version\` here is "${ccLine}"`);
  }
  const kernelGcc = Number(config.get('GCC_VERSION') ?? 'NaN');
  if (Number.isFinite(kernelGcc) && kernelGcc > 0) {
    const ours = gccVersionNumber(version);
    if (ours !== kernelGcc)
      problems.push(
        `the running kernel's CONFIG_GCC_VERSION is ${kernelGcc}, ${cc} here is version ${version} (${ours ?? 'not gcc'})`,
      );
  }
  return problems;
}

/** CONFIG_CC_VERSION_TEXT unquoted: the first line of `$(CC) --version` of the kernel's build. */
function configCompilerText(config: ReadonlyMap<string, string>): string | undefined {
  return config.get('CC_VERSION_TEXT')?.replace(/^"(.*)"$/, '$1');
}

/** Where a build on RUNNER should go instead, when its compiler is not the kernel's. */
function toolchainHint(runner: Runner): string {
  const skip = '(or --skip-compiler-check, at your own risk: the objects may not match the running code)';
  return runner.kind === 'host'
    ? `build in a container (--container auto, podman or docker: the builder image of the kernel's distribution release has its compiler), or install the compiler and binutils the kernel was built with ${skip}`
    : `the builder image of the kernel's distribution release no longer has the compiler and binutils the kernel was built with (the distribution updated them since?); install those, or build on such a host with --container none ${skip}`;
}

export interface ToolchainMatch {
  /** The compiler's identity, for cache keys. */
  compiler: string;
  /** What --skip-compiler-check let through. */
  warnings: string[];
}

/**
 * The objects must come from the compiler (and linker) that built the running kernel: the
 * vmlinux .comment and the config's CC_VERSION_TEXT against `CC --version`, its GCC_VERSION
 * against `CC -dumpfullversion`, and its LD_VERSION against `ld --version`, all where the build
 * runs (RUNNER: the host, or a container's image). A mismatch names both; `skip`
 * (--skip-compiler-check) turns each into a warning. A CC that is not installed where the build
 * runs is refused either way, naming the kernel's compiler and the gcc that is there.
 */
export async function checkToolchain(
  target: TargetKernel,
  runner: Runner,
  cc: string,
  skip = false,
): Promise<ToolchainMatch> {
  const [kernel, tools, config] = await Promise.all([
    kernelCompiler(target.vmlinux),
    runnerToolchain(runner, cc),
    readFile(target.config, 'utf8'),
  ]);
  const kconfig = parseKconfig(config);
  if (tools.cc === undefined) {
    const text = configCompilerText(kconfig);
    throw new UserError(
      `toolchain mismatch: the running kernel was built with "${kernel}"${text ? ` (CONFIG_CC_VERSION_TEXT "${text}")` : ''}, ` +
        `and ${cc} is not installed here (${runner.description}), whose gcc is "${tools.gcc}"`,
      { hint: toolchainHint(runner) },
    );
  }
  const ccLine = tools.cc;
  const ours = ccLine.replace(/^\S+\s+/, '').trim();
  const problems: string[] = [];
  if (kernel !== ours)
    problems.push(`the running kernel was built with "${kernel}", ${cc} here (${runner.description}) is "${ours}"`);
  problems.push(...configCompilerProblems(kconfig, cc, ccLine, tools.ccVersion ?? ''));
  const kernelLd = Number(kconfig.get('LD_VERSION') ?? 'NaN');
  const ourLd = ldVersionNumber(tools.ld);
  if (Number.isFinite(kernelLd) && kernelLd > 0 && ourLd !== undefined && kernelLd !== ourLd) {
    problems.push(
      `the running kernel was linked with ld ${kernelLd} (CONFIG_LD_VERSION), ld here is "${tools.ld}" (${ourLd})`,
    );
  }
  if (problems.length === 0) return { compiler: ours, warnings: [] };
  if (!skip) throw new UserError(`toolchain mismatch: ${problems.join('; ')}`, { hint: toolchainHint(runner) });
  return { compiler: ours, warnings: problems.map((p) => `--skip-compiler-check: ${p}`) };
}
