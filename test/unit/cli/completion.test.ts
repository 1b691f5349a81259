/**
 * Shell completion: `tsbuild-patch completion` prints a bash script; sourced, it completes the
 * tool's commands and a command's options by asking the tool itself.
 */
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../../bin/tsbuild-patch.js', import.meta.url));

/** COMPREPLY after completing WORDS (the last one being typed) in bash with the script loaded. */
async function complete(script: string, words: string[]): Promise<string[]> {
  const shell = `
${script}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMP_LINE="${words.join(' ')}"; COMP_POINT=\${#COMP_LINE}
_tsbuild-patch_yargs_completions 2>/dev/null || _tsbuild_patch_yargs_completions
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const result = await execa('bash', ['-c', shell], {
    env: { PATH: `${BIN.replace(/\/[^/]+$/, '')}:${process.env.PATH}` },
  });
  return result.stdout.split('\n').filter(Boolean);
}

describe('bash completion', () => {
  it('is printed by `tsbuild-patch completion` and completes commands and options', async () => {
    const { stdout: script } = await execa('node', [BIN, 'completion']);
    expect(script).toMatch(/complete -o bashdefault -o default -F _tsbuild[-_]patch_yargs_completions tsbuild-patch/);
    // The script runs the command it was printed by: on PATH as tsbuild-patch.
    const onPath = script.replace(
      /\S*tsbuild-patch\.js --get-yargs-completions/g,
      'tsbuild-patch.js --get-yargs-completions',
    );
    expect(await complete(onPath, ['tsbuild-patch', 'pack'])).toEqual(['package']);
    expect(await complete(onPath, ['tsbuild-patch', 'rel'])).toEqual(['releases']);
    expect(await complete(onPath, ['tsbuild-patch', 'releases', '--ref'])).toContain('--refresh');
  }, 60_000);
});
