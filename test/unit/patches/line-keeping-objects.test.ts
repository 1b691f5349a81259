/**
 * Line keeping seen in objects: a small C file compiled as the kernel compiles (gcc, function
 * sections, fentry) before and after a patch that only moves lines, the patch applied with
 * patch(1) and the directives added: the code is the same byte for byte and the differ finds no
 * change. A changed constant passed to printk is still a change, and only that one.
 *
 * And the differ's two ways of reading line numbers on these objects: `kept` (every difference
 * a change, as the pipeline diffs its own builds) and `guessed` (for objects built without line
 * keeping: a changed immediate before a line-reporting call is taken for a line number), with
 * the guess's blind spot, a changed printk constant taken for a line number.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { readElf } from '../../../src/elf/index.js';
import { diffObjects } from '../../../src/diff/diff-objects.js';
import type { LineNumbers } from '../../../src/diff/line-drift.js';
import { compileC } from '../diff/compile.js';
import { patchWithLineKeeping, unifiedDiff } from './line-keeping-support.js';

const PATH = 'kernel/example.c';

const SOURCE = `extern int _printk(const char *fmt, ...);
extern void __might_sleep(const char *file, int line);
extern void __warn_printk(const char *fmt, ...);
#define pr_info(fmt, ...) _printk("\\0016" fmt, ##__VA_ARGS__)
#define might_sleep() __might_sleep("kernel/example.c", __LINE__)
#define WARN_LINE(cond) do { if (cond) __warn_printk("kernel/example.c:%d\\n", __LINE__); } while (0)

int show(int v)
{
	might_sleep();
	pr_info("%d\\n", 1);
	return v;
}

int later(int v)
{

	might_sleep();
	WARN_LINE(v > 10);
	return v * 2;
}
`;

/** Lines added above show() and one blank line removed from later(): nothing else. */
const MOVED = SOURCE.replace('int show(int v)', '/*\n * show() shows.\n */\n\nint show(int v)').replace(
  'int later(int v)\n{\n\n',
  'int later(int v)\n{\n',
);

/** The differ on ORIGINAL and PATCHED, reading line numbers as LINE_NUMBERS says. */
function diff(original: string, patched: string, lineNumbers: LineNumbers) {
  return diffObjects({ original, patched, lineNumbers });
}

/** The text sections of an object: name -> bytes. */
async function textSections(object: string): Promise<Map<string, Buffer>> {
  const elf = await readElf(object);
  return new Map(elf.sections.filter((s) => s.name.startsWith('.text')).map((s) => [s.name, Buffer.from(s.data)]));
}

let workdir: DirectoryResult;
beforeAll(async () => {
  workdir = await dir({ unsafeCleanup: true, prefix: 'line-keeping-objects-' });
});
afterAll(async () => {
  await workdir.cleanup();
});

/** The object of SOURCE, and of AFTER as the patched build makes it (the patch, then line keeping). */
async function compileBoth(name: string, after: string): Promise<{ original: string; patched: string; plain: string }> {
  const directory = join(workdir.path, name);
  const run = await patchWithLineKeeping(directory, PATH, SOURCE, [await unifiedDiff(directory, PATH, SOURCE, after)]);
  return {
    original: await compileC(directory, 'original', SOURCE),
    patched: await compileC(directory, 'patched', run.text),
    plain: await compileC(directory, 'without-line-keeping', after),
  };
}

describe('line keeping in objects', () => {
  it('a patch that only moves lines leaves the code byte for byte, and the differ finds no change', async () => {
    const objects = await compileBoth('moved', MOVED);
    const original = await textSections(objects.original);
    expect([...original.keys()]).toEqual(expect.arrayContaining(['.text.show', '.text.later']));
    expect(await textSections(objects.patched)).toEqual(original);
    expect(diff(objects.original, objects.patched, 'kept').outcome).toBe('no-change');
    // Without the directives the __LINE__ immediates move, and the differ told the line
    // numbers were kept (it does not guess) sees both functions change.
    expect(await textSections(objects.plain)).not.toEqual(original);
    const kept = diff(objects.original, objects.plain, 'kept');
    expect(kept.outcome).toBe('changed');
    expect(kept.changedFunctions.sort()).toEqual(['later', 'show']);
  });

  it('without the directives, guessed line numbers make the moved-lines pair no change; with them, both ways agree', async () => {
    const objects = await compileBoth('moved-guessed', MOVED);
    const guessed = diff(objects.original, objects.plain, 'guessed');
    expect(guessed.outcome).toBe('no-change');
    expect(guessed.changedFunctions).toEqual([]);
    expect(guessed.notes).toEqual(
      expect.arrayContaining(['only line numbers changed in .text.show', 'only line numbers changed in .text.later']),
    );
    // With the directives there is nothing to guess at: no change either way, and no note.
    for (const lineNumbers of ['kept', 'guessed'] as const) {
      const result = diff(objects.original, objects.patched, lineNumbers);
      expect(result.outcome, lineNumbers).toBe('no-change');
      expect(
        result.notes.filter((note) => note.startsWith('only line numbers')),
        lineNumbers,
      ).toEqual([]);
    }
  });

  it('a changed constant passed to printk is a change, and lines moved with it are not', async () => {
    const objects = await compileBoth('printk', MOVED.replace('pr_info("%d\\n", 1)', 'pr_info("%d\\n", 2)'));
    const result = diff(objects.original, objects.patched, 'kept');
    expect(result.outcome).toBe('changed');
    expect(result.changedFunctions).toEqual(['show']);
    const original = await textSections(objects.original);
    const patched = await textSections(objects.patched);
    expect(patched.get('.text.show')).not.toEqual(original.get('.text.show'));
    expect(patched.get('.text.later')).toEqual(original.get('.text.later'));
  });

  it("the guess's blind spot: with guessed line numbers a changed printk constant is taken for a line number", async () => {
    const objects = await compileBoth('printk-guessed', MOVED.replace('pr_info("%d\\n", 1)', 'pr_info("%d\\n", 2)'));
    // The same real change, directives or not: the immediate before _printk differs, and the
    // guess calls it a line number (kpatch-build reads it the same way).
    for (const patched of [objects.patched, objects.plain]) {
      const guessed = diff(objects.original, patched, 'guessed');
      expect(guessed.outcome).toBe('no-change');
      expect(guessed.notes).toContain('only line numbers changed in .text.show');
    }
    expect(diff(objects.original, objects.plain, 'kept').changedFunctions.sort()).toEqual(['later', 'show']);
  });
});
