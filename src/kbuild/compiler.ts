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
