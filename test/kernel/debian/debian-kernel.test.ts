import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildFailure, buildLivepatch } from '../e2e/harness.js';
import {
  applied,
  atomicReplaceCase,
  bootCases,
  expectLoadedAndUnloaded,
  kpatchSyscallCase,
  moduleCase,
  printkConstantCase,
  procGroupCases,
  shadowAndCallbacksCase,
  type BootCase,
} from '../distribution-cases.js';
import { debianReleases } from './releases.js';
import { readElf, readModinfo } from '../../../src/elf/index.js';
import { RefusedError } from '../../../src/util/errors.js';
import { vmTestStage } from '../../../src/pipeline/vm-test-stage.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/cmdline-string.patch', import.meta.url));
const BINFMT = fileURLToPath(new URL('../../patches/debian/binfmt-misc-status.patch', import.meta.url));
const NAMESPACE = fileURLToPath(new URL('../../patches/debian/namespace-import.patch', import.meta.url));
const PRINTK_CONSTANT = fileURLToPath(new URL('../../patches/debian/workqueue-printk-constant.patch', import.meta.url));
const KVM_BLANK_LINE = fileURLToPath(new URL('../../patches/debian/kvm-x86-blank-line.patch', import.meta.url));

const RELEASES = await debianReleases();

// Each case: build against Debian's own kernel (its packages, a prepared tree, only the affected
// objects compiled), boot that kernel's vmlinuz under qemu, observe before / patched / after.
// Cases share boots (./distribution-cases.ts). CI's time (issue 19): the older release runs the
// /proc group and the module case; the other cases run on the newest (defined only there, never
// skipped).
describe.each(RELEASES)("Debian's kernel %s", (kernel) => {
  const newest = kernel === RELEASES[0];
  const itOnNewest = (name: string, body: () => Promise<void>) => {
    if (newest) it(name, body);
  };
  const options = { kernel };

  it('a /proc show function, a new function, a new global, an inline function of a header, an export of a symbol namespace', async () => {
    await bootCases([...(await procGroupCases(EXAMPLE, options)), await namespaceCase(options)], options);
  });

  it('a function of a module of the image, loaded before and after the livepatch; a changed printk constant', async () => {
    await bootCases([await moduleCase(BINFMT, options), await printkConstantCase(PRINTK_CONSTANT, options)], options);
  });

  itOnNewest(
    'shadow variables with callbacks, atomic replace, and a system call through kpatch-syscall.h',
    async () => {
      await bootCases(
        [await shadowAndCallbacksCase(options), await atomicReplaceCase(options), await kpatchSyscallCase(options)],
        options,
      );
    },
  );

  itOnNewest('a patch that only moves lines is no functional change: line numbers are kept', async () => {
    for (const patch of ['moved-lines', KVM_BLANK_LINE]) {
      const error = await buildFailure(patch, options);
      expect(error.exitCode, patch).toBe(3);
      expect(error.message).toMatch(/no functional change/);
    }
  });

  itOnNewest(
    "vm-test's default script counts the patched function's calls: exercised under a workload that reads the file, and --require-exercised fails without one",
    async () => {
      const { ko } = await buildLivepatch(EXAMPLE, { ...options, name: 'livepatch-cmdline-calls' });
      const run = (workload: string) =>
        vmTestStage({ kernel, log: () => {}, modules: [ko], workload, requireExercised: true, timeoutMs: 300_000 });
      const proven = await run('cat /proc/cmdline; cat /proc/cmdline');
      expect(proven.outcome, proven.vm.output).toBe('passed');
      expect(proven.vm.exercise).toEqual([
        {
          module: 'livepatch_cmdline_calls',
          verdict: 'exercised',
          functions: [
            {
              object: 'vmlinux',
              function: 'cmdline_proc_show',
              sympos: 1,
              symbol: 'tsbp_new_cmdline_proc_show',
              calls: expect.any(Number),
            },
          ],
        },
      ]);
      expect(proven.vm.exercise[0]!.functions[0]!.calls).toBeGreaterThanOrEqual(2);
      expect(proven.vm.output).toContain('livepatch=tsbuild-patch');
      // Nothing reads /proc/cmdline: loaded, not exercised; required, that fails the test.
      const idle = await run('true');
      expect(idle.vm.status).toBe('ok');
      expect(idle.vm.exitStatus).toBe(0);
      expect(idle.vm.exercise[0]!.verdict).toBe('not-exercised');
      expect(idle.outcome).toBe('vm-test-failed');
      expect(idle.shortfalls).toEqual(['livepatch_cmdline_calls: vmlinux/cmdline_proc_show,1: 0 calls']);
    },
  );

  itOnNewest('refuses a change to an __init function and to existing data, with the reason', async () => {
    const init = await buildFailure('refuse-init', options);
    expect(init.exitCode).toBe(2);
    expect(init.message).toMatch(/proc_cmdline_init|\.init/);
    const data = await buildFailure('refuse-data', options);
    expect(data.exitCode).toBe(2);
    expect(data.message).toMatch(/panic_timeout|\.data/);
    // The --json report gives each reason a category, so a batch can be counted.
    expect(init).toBeInstanceOf(RefusedError);
    expect(new Set((init as RefusedError).reasons.map((r) => r.category))).toEqual(new Set(['init-code']));
    expect((data as RefusedError).reasons.map((r) => [r.object, r.category])).toEqual([
      ['kernel/panic.o', 'existing-data'],
    ]);
  });
});

/** An export of a symbol namespace used by the patch: the module imports the namespace. */
async function namespaceCase(options: { kernel: string }): Promise<BootCase> {
  const { ko } = await buildLivepatch(NAMESPACE, { ...options, name: 'livepatch-namespace' });
  const imports = readModinfo((await readElf(ko)).sectionByName('.modinfo')!)
    .filter((e) => e.key === 'import_ns')
    .map((e) => e.value);
  expect(imports).toEqual(['DMA_BUF']);
  return {
    name: 'an export of a symbol namespace',
    modules: [ko],
    script: applied(ko, 'ns', 'report ns_out "$(tail -n 1 /proc/version)"'),
    check(vm) {
      expectLoadedAndUnloaded(vm, 'ns');
      expect(vm.values['ns_out']).toBe('dma-buf namespace: 1');
      expect(vm.kernelLog).not.toMatch(/does not import/);
    },
  };
}
