// The guest of a distribution kernel has a modprobe database: a module whose init asks the
// kernel for another one (request_module) loads. rxrpc's init allocates pcbc(fcrypt), which the
// kernel loads through modprobe; without it, rxrpc cannot initialise its security and kafs,
// which needs rxrpc, cannot load at all.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootTarget, guestModules } from '../../../src/vm/boot-target.js';
import { runInVm } from '../../../src/vm/run-in-vm.js';
import { debianReleases } from './releases.js';

const [, kernel] = await debianReleases();

describe(`the guest of Debian's ${kernel}`, () => {
  it('runs modprobe for the kernel: kafs and rxrpc load, with the crypto modules rxrpc asks for', async () => {
    const boot = await bootTarget(kernel, () => {});
    const kafs = join(boot.modulesDir!, 'kernel/fs/afs/kafs.ko');
    const modules = await guestModules([kafs], boot.modulesDir);
    const vm = await runInVm({
      bzImage: boot.image,
      memoryMiB: boot.memoryMiB,
      modules,
      kernelModulesDir: boot.modulesDir,
      timeoutMs: 240_000,
      script: `
        modprobe kafs; report modprobe $?
        report loaded "$(lsmod | cut -d' ' -f1 | grep -E '^(kafs|rxrpc|pcbc|fcrypt)$' | sort | tr '\\n' ' ')"`,
    });
    expect(vm.status).toBe('ok');
    expect(vm.values['modprobe']).toBe('0');
    expect(vm.values['loaded']?.trim()).toBe('fcrypt kafs pcbc rxrpc');
    expect(vm.kernelLog).not.toMatch(/rxrpc: Cannot initialise security/);
    expect(vm.kernelLog).toMatch(/kAFS: Red Hat AFS client/);
  });
});
