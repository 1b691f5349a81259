/**
 * `pr_info_once`/`WARN_ONCE` flags: a patched function that adds one references a flag in the
 * object's once-flag section, `.data.once` before Linux 6.2 and `.data..once` since. Its flags
 * are special statics, included with the function, never existing data the livepatch would
 * have to replace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryResult } from 'tmp-promise';
import { diffObjects } from '../../../src/diff/diff-objects.js';
import { compileC, workDirectory } from './compile.js';

// \`other\` has a flag in both versions: the section exists in the original too.
const source = (section: string, logs: boolean) => `
int printk(const char *fmt, ...);
int counter;
int other(int x)
{
	static _Bool __attribute__((section("${section}"))) __already_done;
	if (!__already_done) { __already_done = 1; printk("other\\n"); }
	return x;
}
int show(int x)
{
${
  logs
    ? `	static _Bool __attribute__((section("${section}"))) __already_done;
	if (!__already_done) { __already_done = 1; printk("once\\n"); }`
    : ''
}
	return counter + x;
}
`;

let workdir: DirectoryResult;
beforeAll(async () => {
  workdir = await workDirectory();
});
afterAll(async () => {
  await workdir.cleanup();
});

describe.each(['.data.once', '.data..once'])('a once flag in %s', (section) => {
  it('is included with the function that adds it, not refused as existing data', async () => {
    const tag = section.replace(/\W/g, '');
    const original = await compileC(workdir.path, `once-orig-${tag}`, source(section, false));
    const patched = await compileC(workdir.path, `once-patched-${tag}`, source(section, true));
    const result = diffObjects({ original, patched, lineNumbers: 'kept' });
    expect(result.refusals).toEqual([]);
    expect(result.outcome).toBe('changed');
    expect(result.changedFunctions).toEqual(['show']);
  });
});
