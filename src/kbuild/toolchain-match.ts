import { readFile } from 'node:fs/promises';
import { readElf } from '../elf/index.js';
import type { TargetKernel } from '../kernels/target-kernel.js';
import { UserError } from '../util/errors.js';
import { compilerIdentity } from './compiler.js';
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

export interface ToolchainMatch {
  /** The compiler's identity, for cache keys. */
  compiler: string;
  /** What --skip-compiler-check let through. */
  warnings: string[];
}

/**
 * The objects must come from the compiler (and linker) that built the running kernel: the
 * vmlinux .comment against `CC --version`, and the config's LD_VERSION against `ld --version`,
 * both where the build runs. A mismatch names both; `skip` turns it into a warning.
 */
export async function checkToolchain(target: TargetKernel, runner: Runner, cc: string, skip = false): Promise<ToolchainMatch> {
  const [kernel, ccLine, ldLine, config] = await Promise.all([
    kernelCompiler(target.vmlinux), compilerIdentity(cc), compilerIdentity('ld'), readFile(target.config, 'utf8'),
  ]);
  const ours = ccLine.replace(/^\S+\s+/, '').trim();
  const problems: string[] = [];
  if (kernel !== ours) problems.push(`the running kernel was built with "${kernel}", ${cc} here (${runner.description}) is "${ours}"`);
  const kernelLd = Number(parseKconfig(config).get('LD_VERSION') ?? 'NaN');
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
