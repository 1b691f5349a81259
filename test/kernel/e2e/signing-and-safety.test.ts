import { access, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir as tmpDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { boot, buildFailure, buildLivepatch, load, PATCHES, unload } from './harness.js';
import { snapshot, workTree } from './work-tree.js';
import { prepareOutputs } from '../../../src/kbuild/prepare-outputs.js';

const REPO = new URL('../../../', import.meta.url).pathname;
const SIGNATURE_MAGIC = '~Module signature appended~\n';

const WATCHED = [
  'fs/proc/version.c',
  'fs/proc/version.o',
  'fs/proc/.version.o.cmd',
  'fs/proc/loadavg.c',
  'fs/proc/loadavg.o',
  'fs/proc/.loadavg.o.cmd',
  'include/linux/livepatch_helpers.h',
  'include/kpatch-macros.h',
  'include/kpatch-syscall.h',
];

/** Whether a compiler (cc1) is compiling SOURCE right now, on the host or in a container. */
async function compiling(source: string): Promise<boolean> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'latin1').catch(() => '');
    if (cmdline.includes('cc1\0') && cmdline.includes(source)) return true;
  }
  return false;
}

/**
 * Run the CLI on the two-file patch with EXTRA options and send SIGNAL once it printed the line
 * AT ("patched build:", "stage module", ...), or, with compile, once after that line the
 * compiler is compiling fs/proc/version.c.
 */
async function interruptRun(signal: NodeJS.Signals, at: string, options: { extra?: string[]; compile?: boolean } = {}) {
  const child = execa(
    'node',
    [
      join(REPO, 'bin/tsbuild-patch.js'),
      join(PATCHES, 'two-files.patch'),
      '-o',
      `/tmp/tsbp-${signal}.ko`,
      ...(options.extra ?? []),
    ],
    { reject: false, all: true },
  );
  let reached = false;
  child.all?.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes(at)) reached = true;
  });
  let sent = false;
  const watch = (async () => {
    while (!sent && child.exitCode === null) {
      if (reached && (!options.compile || (await compiling('fs/proc/version.c')))) {
        sent = true;
        child.kill(signal);
      } else await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const result = await child;
  await watch;
  return { result, sent };
}

describe('signed modules', () => {
  it('loads with module.sig_enforce=1; without its signature or with a flipped byte in it, the kernel rejects it', async () => {
    const { ko, report } = await buildLivepatch('proc-version-string', { name: 'livepatch-signed' });
    expect(report.signed).toBe(true);
    const bytes = await readFile(ko);
    expect(bytes.subarray(bytes.length - SIGNATURE_MAGIC.length).toString()).toBe(SIGNATURE_MAGIC);
    const sigLength = bytes.readUInt32BE(bytes.length - SIGNATURE_MAGIC.length - 4);
    const unsignedDir = (await tmpDir({ unsafeCleanup: true })).path;
    const unsigned = join(unsignedDir, 'livepatch-unsigned.ko');
    await writeFile(unsigned, bytes.subarray(0, bytes.length - SIGNATURE_MAGIC.length - 12 - sigLength));
    // The same signed module with one byte of its signature flipped.
    const tampered = join(unsignedDir, 'livepatch-tampered.ko');
    const flipped = Buffer.from(bytes);
    const signatureStart = bytes.length - SIGNATURE_MAGIC.length - 12 - sigLength;
    const at = signatureStart + (sigLength >> 1);
    flipped.writeUInt8(flipped.readUInt8(at) ^ 0x01, at);
    await writeFile(tampered, flipped);
    const vm = await boot(
      [ko, unsigned, tampered],
      `
      report unsigned_msg "$(insmod ./livepatch-unsigned.ko 2>&1)"
      report unsigned_loaded "$(grep -c livepatch_unsigned /proc/modules)"
      report tampered_msg "$(insmod ./livepatch-tampered.ko 2>&1)"
      report tampered_loaded "$(grep -c livepatch_tampered /proc/modules)"
      ${load(ko)}
      report out "$(tail -n 1 /proc/version)"
      ${unload(ko)}`,
      'module.sig_enforce=1',
    );
    // The kernel's reasons: no signature at all, and a signature that does not verify.
    expect(vm.values['unsigned_msg']).toMatch(/Key was rejected by service/);
    expect(vm.kernelLog).toMatch(/Loading of unsigned module is rejected/);
    expect(vm.values['unsigned_loaded']).toBe('0');
    expect(vm.values['tampered_msg']).toMatch(/Key was rejected by service|Bad message/);
    expect(vm.values['tampered_loaded']).toBe('0');
    expect(vm.values['load']).toBe('0');
    expect(vm.values['out']).toBe('version: livepatched');
    expect(vm.kernelLog).not.toMatch(/module verification failed/);
  });
});

describe('the work tree is never left modified', () => {
  it('is exactly as before after a successful run (content and times)', async () => {
    const tree = await workTree();
    const before = await snapshot(tree.dir, WATCHED);
    await buildLivepatch('new-global', { name: 'livepatch-restore-check' });
    await buildLivepatch('callbacks', { name: 'livepatch-restore-check2' });
    expect(await snapshot(tree.dir, WATCHED)).toEqual(before);
    await expect(access(join(tree.entry, 'patch-journal.json'))).rejects.toThrow();
  });

  it('restores the files prepare regenerates when a patch changes a header it compiles', async () => {
    const tree = await workTree();
    const generated = (await prepareOutputs(tree.dir)).map((path) => path.slice(tree.dir.length + 1));
    expect(generated).toContain('arch/x86/kernel/asm-offsets.s');
    // kbuild rewrites .missing-syscalls.d (the dependency file of its syscall check, which runs
    // on every make call) whenever make runs in the tree, as a prepared tree's run does to
    // compile the originals it needs: its content must come back, its time is make's.
    const contentOnly = (files: Record<string, string>) =>
      Object.fromEntries(
        Object.entries(files).map(([file, state]) => [
          file,
          file === '.missing-syscalls.d' ? state.split(' ')[0] : state,
        ]),
      );
    const before = contentOnly(await snapshot(tree.dir, [...WATCHED, ...generated, 'include/linux/kbuild.h']));
    const { report } = await buildLivepatch('prepare-header', { name: 'livepatch-prepare-header' });
    expect(report.objects.flatMap((o) => o.changedFunctions)).toEqual(['version_proc_show']);
    expect(contentOnly(await snapshot(tree.dir, [...WATCHED, ...generated, 'include/linux/kbuild.h']))).toEqual(before);
  });

  it('names the patch that does not apply and leaves the tree unchanged', async () => {
    const tree = await workTree();
    const before = await snapshot(tree.dir, WATCHED);
    const good = await readFile(join(PATCHES, 'two-files.patch'), 'utf8');
    const { path: dir } = await tmpDir({ unsafeCleanup: true });
    // The second file's hunk does not match the source: the first file was already patched.
    const bad = good.replace(
      ' \t\tidr_get_cursor(&task_active_pid_ns(current)->idr) - 1);',
      ' \t\tidr_get_cursor(&task_active_pid_ns(current)->idr) - 2);',
    );
    expect(bad).not.toBe(good);
    await writeFile(join(dir, 'stale.patch'), bad);
    const error = await buildFailure(join(dir, 'stale.patch'));
    expect(error.message).toMatch(/stale\.patch does not apply/);
    expect(error.message).toMatch(/loadavg\.c/);
    expect(await snapshot(tree.dir, WATCHED)).toEqual(before);
  });

  it('restores the tree when the user presses Ctrl-C during the patched build', async () => {
    const tree = await workTree();
    const before = await snapshot(tree.dir, WATCHED);
    const { result, sent } = await interruptRun('SIGINT', 'patched build:');
    expect(sent).toBe(true);
    expect(result.exitCode).toBe(130);
    expect(String(result.all)).toMatch(/SIGINT: cleaning up before exiting/);
    expect(await snapshot(tree.dir, WATCHED)).toEqual(before);
  });

  it.each(['none', 'podman'])(
    'stops the build (--container %s) before restoring when the tool alone gets SIGTERM',
    async (container) => {
      const tree = await workTree();
      const before = await snapshot(tree.dir, WATCHED);
      const { result, sent } = await interruptRun('SIGTERM', 'patched build:', {
        extra: ['--container', container],
        compile: true,
      });
      expect(sent).toBe(true);
      expect(result.exitCode).toBe(143);
      expect(await snapshot(tree.dir, WATCHED)).toEqual(before);
      // Nothing of the stopped build may still be running and write into the restored tree.
      await new Promise((resolve) => setTimeout(resolve, 8000));
      expect(await snapshot(tree.dir, WATCHED)).toEqual(before);
      const next = await buildLivepatch('two-files', { name: 'livepatch-after-sigterm' });
      expect(next.report.objects.map((o) => o.object).sort()).toEqual(['fs/proc/loadavg.o', 'fs/proc/version.o']);
    },
  );

  it('rebuilds an original object missing from the cached tree, with a message', async () => {
    const tree = await workTree();
    const before = await snapshot(tree.dir, WATCHED);
    await rm(join(tree.dir, 'fs/proc/version.o'));
    const lines: string[] = [];
    const { report } = await buildLivepatch('proc-version-string', {
      name: 'livepatch-missing-original',
      log: (line) => lines.push(line),
    });
    expect(report.objects[0]?.changedFunctions).toEqual(['version_proc_show']);
    expect(lines.join('\n')).toMatch(/lacks the original fs\/proc\/version\.o .*rebuilding it/);
    const after = await snapshot(tree.dir, WATCHED);
    // Rebuilt from the same sources: the same bytes (a new mtime).
    expect(after['fs/proc/version.o']!.split(' ')[0]).toBe(before['fs/proc/version.o']!.split(' ')[0]);
  });

  it.each(['none', 'podman'])(
    "after a kill during the compile (--container %s), the next run stops the dead run's build before repairing",
    async (container) => {
      const tree = await workTree();
      const before = await snapshot(tree.dir, WATCHED);
      const { sent } = await interruptRun('SIGKILL', 'patched build:', {
        extra: ['--container', container],
        compile: true,
      });
      expect(sent).toBe(true);
      await access(join(tree.entry, 'patch-journal.json'));
      await workTree(); // the next run: stops what the dead run left, then repairs
      expect(await snapshot(tree.dir, WATCHED)).toEqual(before);
      await new Promise((resolve) => setTimeout(resolve, 8000));
      expect(await snapshot(tree.dir, WATCHED)).toEqual(before);
    },
  );

  // A run killed as each stage begins (with either runner): the next run builds the same module
  // and the cached tree ends exactly as it was.
  const STAGES = ['original-build', 'patched-build', 'diff', 'resolve', 'module'];
  it.each(['none', 'podman'])(
    'a run killed at any stage (--container %s) leaves nothing the next run trips on',
    async (container) => {
      const tree = await workTree();
      const before = await snapshot(tree.dir, WATCHED);
      for (const stage of STAGES) {
        const { sent } = await interruptRun('SIGKILL', `stage ${stage}`, { extra: ['--container', container] });
        expect(sent, stage).toBe(true);
        const next = await buildLivepatch('two-files', { name: `livepatch-after-kill-${stage}` });
        expect(next.report.objects.map((o) => o.object).sort(), stage).toEqual([
          'fs/proc/loadavg.o',
          'fs/proc/version.o',
        ]);
        expect(await snapshot(tree.dir, WATCHED), stage).toEqual(before);
      }
    },
  );

  it('repairs the tree at the next start after a run was killed outright', async () => {
    const tree = await workTree();
    const before = await snapshot(tree.dir, WATCHED);
    const { sent: killed } = await interruptRun('SIGKILL', 'patched build:');
    expect(killed).toBe(true);
    // Killed with the patch applied: the journal is still there and the source differs.
    await access(join(tree.entry, 'patch-journal.json'));
    expect((await snapshot(tree.dir, WATCHED))['fs/proc/version.c']).not.toBe(before['fs/proc/version.c']);
    await workTree(); // any next run starts by repairing
    expect(await snapshot(tree.dir, WATCHED)).toEqual(before);
  });
});
