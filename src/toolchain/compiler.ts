import { execa } from 'execa';
import { UserError } from '../util/errors.js';

/** The compiler's identity as it appears in `gcc --version`, e.g. "gcc (Debian 12.2.0-14+deb12u1) 12.2.0". */
export async function compilerIdentity(cc = 'gcc'): Promise<string> {
  const result = await execa(cc, ['--version'], { reject: false });
  if (result.failed) throw new UserError(`cannot run the compiler '${cc}': ${result.shortMessage}`);
  return result.stdout.split('\n')[0]?.trim() ?? cc;
}

/** The compiler's version number as `-dumpfullversion` gives it, e.g. "12.2.0" (older gcc: `-dumpversion`). */
export async function compilerVersion(cc = 'gcc'): Promise<string> {
  const result = await execa(cc, ['-dumpfullversion', '-dumpversion'], { reject: false });
  if (result.failed) throw new UserError(`cannot run the compiler '${cc}': ${result.shortMessage}`);
  return result.stdout.trim();
}

/**
 * The build tools where a build runs, as kbuild and the kernel's config see them: CC's
 * `--version` line and version number (undefined when CC is not installed there), and the first
 * `--version` lines of gcc, as and ld.
 */
export interface ToolchainIdentity {
  cc?: string;
  ccVersion?: string;
  gcc: string;
  as: string;
  ld: string;
}

/** A shell script printing a ToolchainIdentity of CC ($1) as key=value lines, the same on the host and in a container. */
export const PRINT_TOOLCHAIN_IDENTITY = [
  'first() { "$@" 2>/dev/null | head -n 1; }',
  'echo "cc=$(first "$1" --version)"',
  'echo "ccVersion=$("$1" -dumpfullversion -dumpversion 2>/dev/null)"',
  'echo "gcc=$(first gcc --version)"',
  'echo "as=$(first as --version)"',
  'echo "ld=$(first ld --version)"',
].join('\n');

/** Read PRINT_TOOLCHAIN_IDENTITY's output (undefined when gcc, as or ld is missing from it). */
export function parseToolchainIdentity(text: string): ToolchainIdentity | undefined {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^(cc|ccVersion|gcc|as|ld)=(.*)$/.exec(line);
    if (match && match[2]!.trim() !== '') values.set(match[1]!, match[2]!.trim());
  }
  const [gcc, as, ld] = [values.get('gcc'), values.get('as'), values.get('ld')];
  if (!gcc || !as || !ld) return undefined;
  const cc = values.get('cc');
  const ccVersion = values.get('ccVersion');
  return { ...(cc ? { cc } : {}), ...(cc && ccVersion ? { ccVersion } : {}), gcc, as, ld };
}

/** The build tools of this host for CC (see ToolchainIdentity). */
export async function hostToolchainIdentity(cc: string): Promise<ToolchainIdentity> {
  const result = await execa('sh', ['-c', PRINT_TOOLCHAIN_IDENTITY, 'sh', cc], { reject: false, stdin: 'ignore' });
  const identity = parseToolchainIdentity(result.stdout);
  if (!identity)
    throw new UserError(
      `cannot read this host's compiler and binutils (gcc, as, ld --version):\n${String(result.stderr || result.stdout).trim()}`,
      { hint: 'apt-get install gcc binutils' },
    );
  return identity;
}
