import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withDir } from 'tmp-promise';
import { parsePatch } from '../../../src/patches/patch-file.js';
import { checkPatchPaths } from '../../../src/patches/patch-policy.js';
import { userError } from '../../support/user-error.js';

const GIT_MODIFY = `From 1234 Mon Sep 17 00:00:00 2001
Subject: [PATCH] proc: change cmdline

---
 fs/proc/cmdline.c | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/fs/proc/cmdline.c b/fs/proc/cmdline.c
index 8233e7e..d0a4b4b 100644
--- a/fs/proc/cmdline.c
+++ b/fs/proc/cmdline.c
@@ -7,7 +7,7 @@
 static int cmdline_proc_show(struct seq_file *m, void *v)
 {
-	seq_puts(m, saved_command_line);
+	seq_printf(m, "%s livepatched", saved_command_line);
 	seq_putc(m, '\\n');
 	return 0;
 }
--
2.39.2
`;

const GIT_CREATE_DELETE_RENAME = `diff --git a/kernel/new.c b/kernel/new.c
new file mode 100644
index 0000000..3b18e51
--- /dev/null
+++ b/kernel/new.c
@@ -0,0 +1 @@
+int new_thing;
diff --git a/kernel/gone.c b/kernel/gone.c
deleted file mode 100644
index 3b18e51..0000000
--- a/kernel/gone.c
+++ /dev/null
@@ -1 +0,0 @@
-int gone_thing;
diff --git a/kernel/old-name.c b/kernel/new-name.c
similarity index 80%
rename from kernel/old-name.c
rename to kernel/new-name.c
index 1111111..2222222 100644
--- a/kernel/old-name.c
+++ b/kernel/new-name.c
@@ -1,2 +1,2 @@
 int a;
-int b;
+int c;
`;

const PLAIN = `--- linux-6.1.orig/fs/proc/meminfo.c\t2023-01-01 10:00:00.000000000 +0000
+++ linux-6.1/fs/proc/meminfo.c\t2023-01-02 10:00:00.000000000 +0000
@@ -1,3 +1,3 @@
 a
-b
+c
 d
--- linux-6.1.orig/include/linux/sched.h\t2023-01-01 10:00:00.000000000 +0000
+++ linux-6.1/include/linux/sched.h\t2023-01-02 10:00:00.000000000 +0000
@@ -1 +1 @@
-x
+y
`;

describe('parsePatch', () => {
  it('finds the one file of a git format-patch mail, -p1 stripped, and keeps the text', () => {
    const patch = parsePatch('cmdline.patch', GIT_MODIFY);
    expect(patch.files).toEqual([{ path: 'fs/proc/cmdline.c', created: false, deleted: false }]);
    expect(patch.path).toBe('cmdline.patch');
    expect(patch.text).toBe(GIT_MODIFY);
  });

  it('tells created, deleted and renamed files apart in a git diff', () => {
    const { files } = parsePatch('p.diff', GIT_CREATE_DELETE_RENAME);
    expect(files).toEqual([
      { path: 'kernel/new.c', created: true, deleted: false },
      { path: 'kernel/gone.c', created: false, deleted: true },
      { path: 'kernel/new-name.c', created: false, deleted: false, renamedFrom: 'kernel/old-name.c' },
    ]);
  });

  it('reads plain diff -u output: the first path component and the timestamp after the tab are dropped', () => {
    const { files } = parsePatch('plain.diff', PLAIN);
    expect(files.map((f) => f.path)).toEqual(['fs/proc/meminfo.c', 'include/linux/sched.h']);
    expect(files.every((f) => !f.created && !f.deleted && f.renamedFrom === undefined)).toBe(true);
  });

  it('does not take a ---/+++ pair that is not followed by a hunk for a file header', () => {
    const text = `Some mail text\n--- not a header\n+++ neither\nmore text\n${PLAIN}`;
    expect(parsePatch('x.diff', text).files.map((f) => f.path)).toEqual(['fs/proc/meminfo.c', 'include/linux/sched.h']);
  });

  it('refuses text with no diff in it, naming the file', () => {
    const error = userError(() => parsePatch('notes.txt', 'just some words\n--- and a dash line\n'));
    expect(error.message).toContain('notes.txt');
    expect(error.message).toMatch(/no file changes/);
    expect(userError(() => parsePatch('empty.patch', '')).message).toContain('empty.patch');
  });

  it('refuses paths that climb out of the tree or are absolute', () => {
    const climbing = PLAIN.replace('linux-6.1/fs/proc/meminfo.c', 'b/../../etc/passwd');
    const error = userError(() => parsePatch('evil.patch', climbing));
    expect(error.message).toContain('evil.patch');
    expect(error.message).toContain('../../etc/passwd');

    const inside = PLAIN.replace('linux-6.1/fs/proc/meminfo.c', 'b/fs/../../outside.c');
    expect(userError(() => parsePatch('evil.patch', inside)).message).toContain('fs/../../outside.c');

    const absolute = PLAIN.replace('linux-6.1/fs/proc/meminfo.c', '//etc/passwd');
    expect(userError(() => parsePatch('abs.patch', absolute)).message).toContain('/etc/passwd');
  });

  it('accepts names that only contain dots', () => {
    const dotted = PLAIN.replace('linux-6.1/fs/proc/meminfo.c', 'b/fs/proc/..meminfo.c');
    expect(parsePatch('ok.patch', dotted).files[0]?.path).toBe('fs/proc/..meminfo.c');
  });
});

/** git changes without hunks: no ---/+++ lines, yet patch(1) applies them. */
const GIT_WITHOUT_HUNKS = `diff --git a/include/empty.h b/include/empty.h
new file mode 100644
index 0000000..e69de29
diff --git a/kernel/fork.c b/kernel/fork.c
old mode 100644
new mode 100755
diff --git a/kernel/old.c b/kernel/moved.c
similarity index 100%
rename from kernel/old.c
rename to kernel/moved.c
diff --git a/kernel/blank.h b/kernel/blank.h
deleted file mode 100644
index e69de29..0000000
diff --git a/kernel/a.c b/kernel/copy-of-a.c
similarity index 100%
copy from kernel/a.c
copy to kernel/copy-of-a.c
${PLAIN}`;

describe('parsePatch on git changes without hunks', () => {
  it('finds empty files created and deleted, mode changes, pure renames and copies', () => {
    const { files } = parsePatch('moves.patch', GIT_WITHOUT_HUNKS);
    expect(files).toEqual([
      { path: 'include/empty.h', created: true, deleted: false },
      { path: 'kernel/fork.c', created: false, deleted: false },
      { path: 'kernel/moved.c', created: false, deleted: false, renamedFrom: 'kernel/old.c' },
      { path: 'kernel/blank.h', created: false, deleted: true },
      { path: 'kernel/copy-of-a.c', created: true, deleted: false },
      { path: 'fs/proc/meminfo.c', created: false, deleted: false },
      { path: 'include/linux/sched.h', created: false, deleted: false },
    ]);
  });

  it('names every file patch(1) creates, removes or changes when it applies the patch', async () => {
    const text = GIT_WITHOUT_HUNKS.slice(0, GIT_WITHOUT_HUNKS.indexOf('--- linux-6.1.orig'));
    await withDir(
      async ({ path: tree }) => {
        await mkdir(join(tree, 'kernel'), { recursive: true });
        await mkdir(join(tree, 'include'), { recursive: true });
        for (const name of ['kernel/fork.c', 'kernel/old.c', 'kernel/a.c'])
          await writeFile(join(tree, name), `/* ${name} */\n`);
        await writeFile(join(tree, 'kernel/blank.h'), '');
        const list = async () =>
          (await readdir(tree, { recursive: true }))
            .map(String)
            .filter((n) => n.includes('.'))
            .sort();
        const before = await list();
        await execa('patch', ['-p1', '--batch', '-d', tree], { input: text });
        const after = await list();
        const appeared = after.filter((n) => !before.includes(n));
        const vanished = before.filter((n) => !after.includes(n));
        const { files } = parsePatch('moves.patch', text);
        expect(
          files
            .filter((f) => f.created)
            .map((f) => f.path)
            .sort(),
        ).toEqual(appeared.filter((n) => n !== 'kernel/moved.c'));
        expect(files.filter((f) => f.deleted).map((f) => f.path)).toEqual(vanished.filter((n) => n !== 'kernel/old.c'));
        expect(files.find((f) => f.path === 'kernel/moved.c')?.renamedFrom).toBe('kernel/old.c');
        expect(appeared).toContain('kernel/moved.c');
        expect(vanished).toContain('kernel/old.c');
      },
      { unsafeCleanup: true },
    );
  });

  it('refuses a rename whose source climbs out of the tree', () => {
    const text = 'diff --git a/../x.c b/kernel/x.c\nsimilarity index 100%\nrename from ../x.c\nrename to kernel/x.c\n';
    expect(userError(() => parsePatch('evil.patch', text)).message).toContain('../x.c');
  });
});

describe('checkPatchPaths', () => {
  const patchTouching = (...paths: string[]) => {
    const text = paths.map((p) => `--- a/${p}\n+++ b/${p}\n@@ -1 +1 @@\n-a\n+b\n`).join('');
    return parsePatch('fix.patch', text);
  };

  it('accepts ordinary C sources and headers', () => {
    expect(() =>
      checkPatchPaths([
        patchTouching(
          'fs/proc/cmdline.c',
          'include/linux/sched.h',
          'drivers/net/dummy.c',
          'arch/x86/kernel/cpu/bugs.c',
        ),
      ]),
    ).not.toThrow();
  });

  const refused: Array<[string, RegExp]> = [
    ['arch/x86/entry/entry_64.S', /assembly/],
    ['lib/string.c', /lib\//],
    ['arch/x86/entry/vdso/vclock_gettime.c', /vDSO/],
    ['arch/x86/entry/vdso/vdso32/note.S', /assembly|vDSO/],
    ['lib/vdso/gettimeofday.c', /lib\/|vDSO/],
    ['arch/x86/realmode/rm/wakeup.h', /real-mode/],
    ['arch/x86/boot/main.c', /boot code/],
    ['fs/proc/Makefile', /build configuration/],
    ['kernel/Kconfig.preempt', /build configuration/],
    ['drivers/Kbuild', /build configuration/],
  ];
  for (const [path, reason] of refused) {
    it(`refuses ${path} with exit code 2, naming the file and the reason`, () => {
      const error = userError(() => checkPatchPaths([patchTouching('fs/proc/cmdline.c', path)]));
      expect(error.exitCode).toBe(2);
      expect(error.message).toContain(`fix.patch: ${path}: `);
      expect(error.message).toMatch(reason);
      expect(error.message).not.toContain('fs/proc/cmdline.c');
    });
  }

  it('lists every offending file of every patch at once', () => {
    const one = patchTouching('lib/sort.c');
    const two = { ...patchTouching('arch/x86/boot/a20.c', 'kernel/fork.c'), path: 'second.patch' };
    const error = userError(() => checkPatchPaths([one, two]));
    expect(error.message).toContain('fix.patch: lib/sort.c');
    expect(error.message).toContain('second.patch: arch/x86/boot/a20.c');
    expect(error.message).not.toContain('kernel/fork.c');
  });

  it('does not mistake similar names for refused ones', () => {
    expect(() =>
      checkPatchPaths([patchTouching('drivers/misc/libfoo.c', 'kernel/lib/x.c', 'mm/S.c', 'kernel/bootparam.c')]),
    ).not.toThrow();
  });
});
