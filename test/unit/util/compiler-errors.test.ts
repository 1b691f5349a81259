import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractErrors, formatErrors, logTail } from '../../../src/util/compiler-errors.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('compiler error lines of a build log', () => {
  // Real output: the kbuild log of a patched build of fs/proc/version.c with a missing semicolon.
  const kbuild = fixture('kbuild-syntax-error.log');

  it('finds every error: line with its file:line, the function before it and the excerpt after it', () => {
    const blocks = extractErrors(kbuild);
    expect(blocks.map((b) => b.error)).toEqual([
      'fs/proc/version.c:16:46: error: expected ‘;’ before ‘return’',
      'fs/proc/version.c:18:1: error: no return statement in function returning non-void [-Werror=return-type]',
    ]);
    expect(blocks[0]!.lines).toEqual([
      'fs/proc/version.c: In function ‘version_proc_show’:',
      'fs/proc/version.c:16:46: error: expected ‘;’ before ‘return’',
      '   16 |         seq_puts(m, "version: livepatched\\n")',
      '      |                                              ^',
      '      |                                              ;',
      '   17 |         return 0;',
    ]);
  });

  it("leaves out make's own lines and repeats a function's location once", () => {
    const text = formatErrors(kbuild)!;
    expect(text).not.toMatch(/Error 1|Error 2|Entering directory|CC {6}fs/);
    expect(text.match(/In function/g)).toHaveLength(1);
    expect(text.split('\n')[0]).toBe('fs/proc/version.c: In function ‘version_proc_show’:');
    expect(text).toMatch(/^fs\/proc\/version\.c:18:1: error: no return statement/m);
  });

  it('keeps the include chain of an error in a header, and linker errors with their function', () => {
    const blocks = extractErrors(fixture('gcc-header-and-link-errors.log'));
    expect(blocks).toHaveLength(2);
    expect(blocks[0]!.lines.slice(0, 3)).toEqual([
      'In file included from fs/proc/uses.c:1:',
      'include/linux/thing.h: In function ‘thing’:',
      'include/linux/thing.h:3:16: error: ‘missing_value’ undeclared (first use in this function)',
    ]);
    expect(blocks[0]!.lines.at(-1)).toMatch(/\^~+$/);
    expect(blocks[1]!.lines).toEqual([
      expect.stringMatching(/^\/usr\/bin\/ld: .*: in function `main':$/),
      "link.c:(.text+0x5): undefined reference to `foo'",
    ]);
  });

  it('recognizes modpost errors, strips colours, shows the first errors and counts the rest', () => {
    const log = [
      '\x1b[01m\x1b[Ka.c:1:2:\x1b[m\x1b[K \x1b[01;31m\x1b[Kerror: \x1b[m\x1b[Kfirst',
      ...Array.from({ length: 7 }, (_, i) => `b${i}.c:${i + 1}:1: fatal error: x${i}.h: No such file or directory`),
      'ERROR: modpost: "klp_enable_patch" [/tmp/m/livepatch-x.ko] undefined!',
    ].join('\n');
    const text = formatErrors(log, { max: 3 })!;
    expect(text.split('\n')).toEqual([
      'a.c:1:2: error: first',
      'b0.c:1:1: fatal error: x0.h: No such file or directory',
      'b1.c:2:1: fatal error: x1.h: No such file or directory',
      '... and 6 more error(s) in the log',
    ]);
    expect(extractErrors(log).at(-1)!.error).toMatch(/^ERROR: modpost: "klp_enable_patch"/);
  });

  it('has nothing to say about a log without errors (the caller shows its tail)', () => {
    const log = 'make: Entering directory\n  CC      fs/proc/version.o\nKilled\nmake: *** [Makefile:1] Error 137\n';
    expect(formatErrors(log)).toBeUndefined();
    expect(logTail(log, 2)).toBe('Killed\nmake: *** [Makefile:1] Error 137');
  });
});
