/**
 * A gcc that claims another version: a shell script (named gcc-12, like Debian's compiler) that
 * answers --version and -dumpversion/-dumpfullversion with VERSION and runs the real gcc for
 * everything else.
 */
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

export const FAKE_VERSION = '13.1.0';
export const FAKE_VERSION_LINE = `gcc-12 (Fake ${FAKE_VERSION}-1) ${FAKE_VERSION}`;

/** Write the wrapper into DIR; returns its path. */
export async function fakeGcc(dir: string): Promise<string> {
  const realGcc = (await execa('sh', ['-c', 'command -v gcc'])).stdout.trim();
  const path = join(dir, 'gcc-12');
  await writeFile(
    path,
    `#!/bin/sh
for arg in "$@"; do
  case "$arg" in
    --version) echo '${FAKE_VERSION_LINE}'; echo 'This is free software; see the source for copying conditions.'; exit 0 ;;
    -dumpversion|-dumpfullversion) echo '${FAKE_VERSION}'; exit 0 ;;
  esac
done
exec '${realGcc}' "$@"
`,
  );
  await chmod(path, 0o755);
  return path;
}

/** The real gcc's CONFIG_ lines as Kconfig writes them for it (CC_VERSION_TEXT, GCC_VERSION). */
export async function realGccConfigLines(): Promise<string> {
  const line = (await execa('gcc', ['--version'])).stdout.split('\n')[0]!.trim();
  const [major, minor, patch] = (await execa('gcc', ['-dumpfullversion', '-dumpversion'])).stdout
    .trim()
    .split('.')
    .map(Number);
  return `CONFIG_CC_VERSION_TEXT="${line}"\nCONFIG_CC_IS_GCC=y\nCONFIG_GCC_VERSION=${major! * 10000 + (minor ?? 0) * 100 + (patch ?? 0)}\n`;
}
