import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLivepatch } from '../e2e/harness.js';
import { buildToolsPackage } from '../../../src/deploy/package/tools-package.js';
import { debianSystemImage } from '../../support/system-vm/image.js';
import { SystemMachine } from '../../support/system-vm/machine.js';
import { debianReleases } from '../debian/releases.js';

/** The newest release the archive can build. */
const [KERNEL] = await debianReleases();
const PIPE_READ = fileURLToPath(new URL('./pipe-read.patch', import.meta.url));
const log = (line: string) => process.stderr.write(`  [stall] ${line}\n`);

let work: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  work = await dir({ prefix: 'tsbp-stall-', unsafeCleanup: true });
});
afterAll(async () => work.cleanup());

// tsbuild-patch-ctl on Debian's kernel when a task blocks the transition: a reader sleeping in
// pipe_read(), the function the patch changes, keeps its old code until it is signalled.
describe(`tsbuild-patch-ctl: a stalled transition on Debian 12 (kernel ${KERNEL})`, () => {
  it('reports the blocking task and reverts; --signal completes the load (the kernel signals by itself after 15 s); unload stalls the same way', async () => {
    const built = await buildLivepatch(PIPE_READ, { kernel: KERNEL, name: 'livepatch-pipe-read' });
    expect(built.report.objects.map((o) => [o.object, o.changedFunctions])).toEqual([['fs/pipe.o', ['pipe_read']]]);
    const files = join(work.path, 'files');
    await mkdir(files, { recursive: true });
    await copyFile(built.ko, join(files, 'livepatch-pipe-read.ko'));
    await buildToolsPackage(files, 'tsbuild-patch tests <tests@tsbuild-patch.invalid>');

    const machine = await SystemMachine.create(await debianSystemImage(KERNEL, log), join(work.path, 'machines'));
    const ko = '/srv/test/files/livepatch-pipe-read.ko';
    const result = await machine.boot({
      directories: { files },
      timeoutMs: 300_000,
      script: `
        dpkg -i /srv/test/files/tsbuild-patch-tools_*_all.deb > /tmp/dpkg.log 2>&1; report dpkg $?
        sleep 1000 | cat > /dev/null &
        reader=$!
        report reader "$reader"
        sleep 1
        tsbuild-patch-ctl load --timeout 3 ${ko} > /tmp/first.log 2>&1; report first $?
        report first_log "$(cat /tmp/first.log)"
        report after_first "$(ls /sys/kernel/livepatch; ls -d /sys/module/livepatch_pipe_read 2>/dev/null)"
        tsbuild-patch-ctl load --timeout 3 --signal ${ko} > /tmp/second.log 2>&1; report second $?
        report second_log "$(cat /tmp/second.log)"
        report patched "$(cat /sys/kernel/livepatch/livepatch_pipe_read/vmlinux/patched)"
        report reader_alive "$(kill -0 "$reader" && echo yes)"
        tsbuild-patch-ctl unload --timeout 3 livepatch_pipe_read > /tmp/unload.log 2>&1; report unload $?
        report unload_log "$(cat /tmp/unload.log)"
        tsbuild-patch-ctl signal livepatch_pipe_read > /tmp/signal.log 2>&1; report signal $?
        report signal_log "$(cat /tmp/signal.log)"
        tsbuild-patch-ctl unload --timeout 30 livepatch_pipe_read > /tmp/unload2.log 2>&1; report unload2 $?
        report unload2_log "$(cat /tmp/unload2.log)"
        report gone "$(ls /sys/kernel/livepatch; ls -d /sys/module/livepatch_pipe_read 2>/dev/null)"
        report reader_alive_end "$(kill -0 "$reader" && echo yes)"
        report kernel_log "$(dmesg | grep -iE 'livepatch|pipe_read|Oops|BUG|WARNING' | tail -n 40)"
      `,
    });
    await machine.dispose();
    if (result.status === undefined) throw new Error(`the guest did not finish\n${result.console.slice(-4000)}`);
    const v = result.values;
    for (const key of ['first_log', 'second_log', 'unload_log', 'unload2_log', 'kernel_log']) log(`${key}:\n${v[key]}`);
    expect(v['dpkg']).toBe('0');
    const reader = v['reader']!;
    // Without --signal: the stall is reported with the reader named, and the load is reverted.
    expect(v['first']).toBe('3');
    expect(v['first_log']).toContain('livepatch_pipe_read: transition still running after 3 s; tasks blocking it:');
    expect(v['first_log']).toMatch(new RegExp(`pid ${reader} tid ${reader} \\(cat\\) patch_state 0`));
    expect(v['first_log']).toContain('pipe_read');
    expect(v['first_log']).toContain('--signal');
    // The revert is waited for past the kernel's own signal (15 s on 6.1), however slow the machine.
    expect(v['first_log']).toContain('livepatch_pipe_read: reverting the load (waiting up to 20 s)');
    expect(v['first_log']).toContain('livepatch_pipe_read: reverted and removed');
    expect(v['after_first']).toBe('');
    // With --signal the reader is woken (not killed), switches, and the load completes. Linux
    // 6.1 has no signal attribute: it sends the signal itself after 15 s, which --signal waits for.
    expect(v['first_log']).toContain('retry with --signal (or a --timeout above 15 s)');
    expect(v['second'], v['second_log']).toBe('0');
    expect(v['second_log']).toContain(
      'this kernel sends the livepatch signal to the blocking tasks itself after 15 s of a stalled transition; waiting up to 14 s more',
    );
    expect(v['second_log']).toContain('livepatch_pipe_read: loaded, transition complete');
    expect(v['patched']).toBe('1');
    expect(v['reader_alive']).toBe('yes');
    // The reader now sleeps in the new pipe_read: disabling stalls until it is signalled.
    expect(v['unload']).toBe('3');
    expect(v['unload_log']).toMatch(new RegExp(`pid ${reader} tid ${reader} \\(cat\\) patch_state 1`));
    expect(v['signal']).toBe('0');
    expect(v['signal_log']).toContain('it sends the blocking tasks the livepatch signal itself every 15 s');
    expect(v['unload2'], v['unload2_log']).toBe('0');
    expect(v['unload2_log']).toContain('livepatch_pipe_read: module removed');
    expect(v['gone']).toBe('');
    expect(v['reader_alive_end']).toBe('yes');
    expect(v['kernel_log']).not.toMatch(/Oops|BUG:|WARNING:/);
  });
});
