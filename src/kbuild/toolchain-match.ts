import { readFile } from 'node:fs/promises';
import { readElf } from '../elf/index.js';
import type { TargetKernel } from '../kernels/target-kernel.js';
import { UserError } from '../util/errors.js';
import { compilerIdentity, compilerVersion } from './compiler.js';
import { parseKconfig } from './kconfig.js';
import type { Runner } from './runner.js';

/** The compiler as a kernel's vmlinux records it (.comment), e.g. "(Debian 12.2.0-14+deb12u1) 12.2.0". */
export async function kernelCompiler(vmlinux: string): Promise<string> {
  const elf = await readElf(vmlinux);
  const comment = elf.sectionByName('.comment')?.data.toString('latin1') ?? '';
  const gcc = comment.split('\0').find((s) => s.startsWith('GCC: '));
  if (!gcc) throw new UserError(`${vmlinux}: no compiler recorded in .comment`);
  return gcc.slice('GCC: '.length).trim();
}

// Versions are asked on the host: a build container is only used when its gcc and binutils are
// the host's, byte for byte (container/toolchain-check.ts), so the host's answer is the container's.

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
async function configCompilerProblems(config: ReadonlyMap<string, string>, cc: string, ccLine: string): Promise<string[]> {
  const problems: string[] = [];
  const text = config.get('CC_VERSION_TEXT');
  const unquoted = text?.replace(/^"(.*)"$/, '$1');
  if (unquoted !== undefined && unquoted !== ccLine) {
    problems.push(`the running kernel's CONFIG_CC_VERSION_TEXT is "${unquoted}", \`${cc} --version\` here is "${ccLine}"`);
  }
  const kernelGcc = Number(config.get('GCC_VERSION') ?? 'NaN');
  if (Number.isFinite(kernelGcc) && kernelGcc > 0) {
    const version = await compilerVersion(cc);
    const ours = gccVersionNumber(version);
    if (ours !== kernelGcc) problems.push(`the running kernel's CONFIG_GCC_VERSION is ${kernelGcc}, ${cc} here is version ${version} (${ours ?? 'not gcc'})`);
  }
  return problems;
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
 * runs. A mismatch names both; `skip` (--skip-compiler-check) turns each into a warning.
 */
export async function checkToolchain(target: TargetKernel, runner: Runner, cc: string, skip = false): Promise<ToolchainMatch> {
  const [kernel, ccLine, ldLine, config] = await Promise.all([
    kernelCompiler(target.vmlinux), compilerIdentity(cc), compilerIdentity('ld'), readFile(target.config, 'utf8'),
  ]);
  const ours = ccLine.replace(/^\S+\s+/, '').trim();
  const kconfig = parseKconfig(config);
  const problems: string[] = [];
  if (kernel !== ours) problems.push(`the running kernel was built with "${kernel}", ${cc} here (${runner.description}) is "${ours}"`);
  problems.push(...await configCompilerProblems(kconfig, cc, ccLine));
  const kernelLd = Number(kconfig.get('LD_VERSION') ?? 'NaN');
  const ourLd = ldVersionNumber(ldLine);
  if (Number.isFinite(kernelLd) && kernelLd > 0 && ourLd !== undefined && kernelLd !== ourLd) {
    problems.push(`the running kernel was linked with ld ${kernelLd} (CONFIG_LD_VERSION), ld here is "${ldLine}" (${ourLd})`);
  }
  if (problems.length === 0) return { compiler: ours, warnings: [] };
  if (!skip) {
    throw new UserError(`toolchain mismatch: ${problems.join('; ')}`, {
      hint: 'install the compiler and binutils the kernel was built with (or --skip-compiler-check, at your own risk: the objects may not match the running code)',
    });
  }
  return { compiler: ours, warnings: problems.map((p) => `--skip-compiler-check: ${p}`) };
}
