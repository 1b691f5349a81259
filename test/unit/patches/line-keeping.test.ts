/**
 * Line keeping on realistic patches: the user's patches applied with patch(1), then the
 * directives; the real preprocessor (gcc -E) must give every unchanged line its number from
 * before the patches, wherever a directive can go.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dir, type DirectoryResult } from 'tmp-promise';
import { lineKeepingPatch } from '../../../src/patches/line-keeping.js';
import { numbered, patchWithLineKeeping, presumedMarks, shiftedMarks, unifiedDiff } from './line-keeping-support.js';

const PATH = 'fs/proc/example.c';

/** A small kernel-like source: a multi-line macro, comments, a conditional part. */
const SOURCE = numbered(`// SPDX-License-Identifier: GPL-2.0
/*
 * An example the size of a small kernel file: functions, a macro over
 * several lines, block comments and a conditional part.
 */
extern int printk(const char *fmt, ...);
extern void __might_sleep(const char *file, int line);

#define REPORT(x) \\
	printk("%s:%d: %d\\n", __FILE__, \\
	       __LINE__, (x))

static int counter;

int first(int x)
{
	MARK
	__might_sleep(__FILE__, __LINE__);
	return x + 1;
}

/*
 * second() counts.
 *
 * It has a long comment above it, so that a change here has lines of
 * comment around it.
 */
int second(int x)
{
	MARK
	counter++;
	counter += 2;
	counter += 3;
	MARK
	return REPORT(x);
}

#if 0
int unused(void)
{
	MARK
	return 0;
}
#endif

#ifdef CONFIG_EXAMPLE
int configured(void)
{
	MARK
	return 1;
}
#endif

int third(int x)
{
	MARK
	return x * 3;
}
int last(void) { MARK return 0; }
`);

/** SOURCE with LINE (1-based) replaced by LINES. */
function replaceLine(source: string, line: number, lines: readonly string[]): string {
  const all = source.split('\n');
  all.splice(line - 1, 1, ...lines);
  return all.join('\n');
}

function lineOf(source: string, text: string): number {
  const index = source.split('\n').findIndex((line) => line.includes(text));
  if (index < 0) throw new Error(`no line with ${text}`);
  return index + 1;
}

let workdir: DirectoryResult;
beforeEach(async () => {
  workdir = await dir({ unsafeCleanup: true, prefix: 'line-keeping-' });
});
afterEach(async () => {
  await workdir.cleanup();
});

describe('line keeping', () => {
  it('keeps every unchanged line after hunks that add, remove and change lines', async () => {
    let after = replaceLine(SOURCE, lineOf(SOURCE, 'return x + 1;'), ['\tx <<= 1;', '\tx -= 2;', '\treturn x + 1;']);
    after = replaceLine(after, lineOf(after, 'counter += 2;'), []);
    after = replaceLine(after, lineOf(after, 'counter += 3;'), []);
    after = replaceLine(after, lineOf(after, 'return x * 3;'), ['\treturn x * 4;']);
    const patch = await unifiedDiff(workdir.path, PATH, SOURCE, after);
    expect(patch.match(/^@@/gm)).toHaveLength(3);

    const run = await patchWithLineKeeping(workdir.path, PATH, SOURCE, [patch]);
    // Without the directives, every mark below the first hunk would be off.
    expect(await shiftedMarks(SOURCE, after)).not.toEqual([]);
    expect(await shiftedMarks(SOURCE, run.text)).toEqual([]);
    expect(await shiftedMarks(SOURCE, run.text, ['CONFIG_EXAMPLE'])).toEqual([]);
    // Two directives: after the added lines and after the removed ones; the line changed in
    // place shifts nothing. Changed lines take the numbers that follow.
    expect(run.text.match(/^#line \d+$/gm)).toEqual([
      `#line ${lineOf(SOURCE, 'return x + 1;')}`,
      `#line ${lineOf(SOURCE, 'counter += 3;') + 1}`,
    ]);
    expect(run.notes).toEqual([]);
    expect(run.log).toEqual([
      expect.stringMatching(
        /^line numbers kept with #line directives: fs\/proc\/example\.c \(2\); \S+line-keeping\.patch$/,
      ),
    ]);
    expect(run.keeping).toBe(
      'Line keeping (tsbuild-patch): #line directives after the changes of the patches give the unchanged lines their numbers from before.\n\n' +
        '--- a/fs/proc/example.c\n+++ b/fs/proc/example.c\n@@ -20,0 +21,1 @@\n+#line 19\n@@ -33,0 +35,1 @@\n+#line 34\n',
    );
  });

  it('waits for the end of a macro continued over several lines', async () => {
    const after = replaceLine(SOURCE, lineOf(SOURCE, 'printk("%s:%d'), [
      '\tprintk("%s:%d: %d\\n", \\',
      '\t       __FILE__, \\',
    ]);
    const run = await patchWithLineKeeping(workdir.path, PATH, SOURCE, [
      await unifiedDiff(workdir.path, PATH, SOURCE, after),
    ]);
    const lines = run.text.split('\n');
    const directive = lines.findIndex((line) => line.startsWith('#line'));
    expect(lines[directive - 1]).toMatch(/__LINE__, \(x\)\)$/);
    expect(lines[directive]).toBe(`#line ${lineOf(SOURCE, '__LINE__, (x))') + 1}`);
    expect(await shiftedMarks(SOURCE, run.text)).toEqual([]);
    // The macro's own lines keep shifted numbers, but a __LINE__ in a macro counts where it is used.
    expect(run.notes).toEqual([]);
  });

  it('puts the directive after a comment that the following context starts in', async () => {
    // Lines added inside the comment above second(): the hunk's context begins inside a
    // comment opened above it, which the patch alone does not show.
    const after = replaceLine(SOURCE, lineOf(SOURCE, ' * comment around it.'), [
      ' * comment around it,',
      ' * and more.',
    ]);
    const patch = await unifiedDiff(workdir.path, PATH, SOURCE, after);
    expect(patch).not.toMatch(/^ \/\*$/m);
    const run = await patchWithLineKeeping(workdir.path, PATH, SOURCE, [patch]);
    const lines = run.text.split('\n');
    const directive = lines.findIndex((line) => line.startsWith('#line'));
    expect(lines[directive - 1]).toBe(' */');
    expect(await shiftedMarks(SOURCE, run.text)).toEqual([]);
    expect(run.notes).toEqual([]);
  });

  it('says where code continued with a backslash keeps a shifted number', async () => {
    const source = numbered(
      'int f(int a, int b);\nint g(void)\n{\n\tint x = f(1, \\\n\t\t2); MARK\n\tMARK\n\treturn x;\n}\n',
    );
    const after = source.replace('f(1, \\\n', 'f(1 + \\\n\t\t0, \\\n');
    const run = await patchWithLineKeeping(workdir.path, 'kernel/g.c', source, [
      await unifiedDiff(workdir.path, 'kernel/g.c', source, after),
    ]);
    expect(await shiftedMarks(source, run.text)).toEqual([5]);
    expect(run.notes).toEqual([
      'kernel/g.c: line 6 (as patched) keeps its number shifted by +1: no #line directive can go inside a block ' +
        'comment or after a line continued with a backslash; a __LINE__ there can make its function differ',
    ]);
  });

  it('needs no directive for a hunk at the end of the file, nor for a change in place', async () => {
    const after = `${SOURCE.replace('return x * 3;', 'return x * 5;')}int more(void) { return 2; }\n\n`;
    const run = await patchWithLineKeeping(workdir.path, PATH, SOURCE, [
      await unifiedDiff(workdir.path, PATH, SOURCE, after),
    ]);
    expect(run.text).toBe(after);
    expect(run.keeping).toBeUndefined();
    expect(run.log).toEqual([]);
  });

  it('keeps the numbers after lines removed at the top of a file', async () => {
    const after = SOURCE.split('\n').slice(5).join('\n');
    const run = await patchWithLineKeeping(workdir.path, PATH, SOURCE, [
      await unifiedDiff(workdir.path, PATH, SOURCE, after),
    ]);
    expect(run.text.split('\n')[0]).toBe('#line 6');
    expect(await shiftedMarks(SOURCE, run.text)).toEqual([]);
  });

  it('sets the numbers again after a conditional group that may be skipped', async () => {
    // Lines added inside #if 0 and inside #ifdef: the directive in the group is skipped with it.
    let after = replaceLine(SOURCE, lineOf(SOURCE, '\treturn 0;'), ['\t/* nothing */', '\treturn 0;']);
    after = replaceLine(after, lineOf(after, 'return 1;'), ['\t/* one */', '\treturn 1;']);
    const run = await patchWithLineKeeping(workdir.path, PATH, SOURCE, [
      await unifiedDiff(workdir.path, PATH, SOURCE, after),
    ]);
    expect(await shiftedMarks(SOURCE, run.text)).toEqual([]);
    expect(await shiftedMarks(SOURCE, run.text, ['CONFIG_EXAMPLE'])).toEqual([]);
    // The marks after each group are there, with their numbers, whether the group is taken or not.
    const marks = await presumedMarks(run.text);
    expect(marks.get(lineOf(SOURCE, 'int third') + 2)).toBe(lineOf(SOURCE, 'int third') + 2);
    // One directive inside each group, one after each.
    expect(run.text.match(/^#line /gm)).toHaveLength(4);
  });

  it('keeps the numbers when two patches change one file, the second over the first', async () => {
    const once = replaceLine(SOURCE, lineOf(SOURCE, 'counter++;'), ['\tcounter++;', '\tcounter++;']);
    const twice = replaceLine(once, lineOf(once, 'counter += 2;'), [
      '\tcounter += 4;',
      '\tcounter += 5;',
      '\tcounter += 6;',
    ]);
    const first = await unifiedDiff(workdir.path, PATH, SOURCE, once);
    const second = await unifiedDiff(workdir.path, PATH, once, twice);
    const run = await patchWithLineKeeping(workdir.path, PATH, SOURCE, [first, second]);
    expect(await shiftedMarks(SOURCE, twice)).not.toEqual([]);
    expect(await shiftedMarks(SOURCE, run.text)).toEqual([]);
    expect(run.text.match(/^#line /gm)).toHaveLength(1);
  });

  it('works on a file without a final newline', async () => {
    const source = SOURCE.trimEnd();
    const after = source.replace('int third(int x)', 'int added(void);\nint third(int x)');
    const run = await patchWithLineKeeping(workdir.path, PATH, source, [
      await unifiedDiff(workdir.path, PATH, source, after),
    ]);
    expect(run.text.endsWith('return 0; }')).toBe(true);
    expect(await shiftedMarks(source, run.text)).toEqual([]);
  });

  it('keeps the numbers of headers and leaves other files alone', () => {
    const before = 'int a;\nint b;\n';
    const after = '\nint a;\nint b;\n';
    expect(lineKeepingPatch([{ path: 'include/linux/x.h', before, after }]).patch).toContain('+#line 1\n');
    expect(lineKeepingPatch([{ path: 'fs/Makefile', before, after }]).patch).toBe('');
    expect(lineKeepingPatch([{ path: 'fs/x.c', before, after: before }]).patch).toBe('');
  });

  it('says so when a file changed too much to be aligned', () => {
    const before = Array.from({ length: 3000 }, (_, i) => `int a${i};`).join('\n');
    const after = Array.from({ length: 3000 }, (_, i) => `int b${i};`).join('\n');
    const keeping = lineKeepingPatch([{ path: 'fs/x.c', before: `${before}\nint z;\n`, after: `${after}\nint z;\n` }]);
    expect(keeping.patch).toBe('');
    expect(keeping.notes).toEqual([
      'fs/x.c: too many lines changed to align the file with its original; line numbers not kept',
    ]);
  });
});
