/**
 * Shell completion: `tsbuild-patch completion` prints a bash script; sourced, it completes the
 * tool's commands and a command's options by asking the tool itself.
 */
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../../bin/tsbuild-patch.js', import.meta.url));
/** A PATH directory whose tsbuild-patch is this checkout's (the script calls it by that name). */
let onPath: DirectoryResult;
beforeAll(async () => {
  onPath = await dir({ unsafeCleanup: true });
  await symlink(BIN, join(onPath.path, 'tsbuild-patch'));
});
afterAll(async () => {
  await onPath.cleanup();
});

/** COMPREPLY after completing WORDS (the last one being typed) in bash with the script loaded. */
async function complete(script: string, words: string[]): Promise<string[]> {
  const shell = `
${script}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMP_LINE="${words.join(' ')}"; COMP_POINT=\${#COMP_LINE}
_tsbuild-patch_yargs_completions 2>/dev/null || _tsbuild_patch_yargs_completions
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const result = await execa('bash', ['-c', shell], { env: { PATH: `${onPath.path}:${process.env['PATH']}` } });
  return result.stdout.split('\n').filter(Boolean);
}

describe('bash completion', () => {
  it('is printed by `tsbuild-patch completion` and completes commands and options', async () => {
    const { stdout: script } = await execa('node', [BIN, 'completion']);
    expect(script).toMatch(/complete -o bashdefault -o default -F _tsbuild[-_]patch_yargs_completions tsbuild-patch/);
    // The script asks `tsbuild-patch` on PATH for the words: this checkout's, in the test.
    expect(script).toContain('tsbuild-patch --get-yargs-completions');
    expect(await complete(script, ['tsbuild-patch', 'pack'])).toEqual(['package']);
    expect(await complete(script, ['tsbuild-patch', 'rel'])).toEqual(['releases']);
    expect(await complete(script, ['tsbuild-patch', 'releases', '--ref'])).toContain('--refresh');
  }, 60_000);
});
