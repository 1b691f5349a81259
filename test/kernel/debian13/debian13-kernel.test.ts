/**
 * Debian 13's own kernels (6.12.N+deb13-amd64: IBT, call padding, return thunks, gcc-14, modules
 * as .ko.xz), built in the trixie builder image (podman), booted under qemu: each livepatch loads,
 * changes what the kernel does, is disabled and unloads. The module carries what objtool makes on
 * the linked module (return sites, ORC), so no "Unpatched return thunk" warning may appear, and no
 * taint W. The releases are chosen from the archive's lists at run time (./releases.ts).
 */
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
  procGroupCases,
  procShowCase,
  shadowAndCallbacksCase,
  type BootCase,
  type CaseOptions,
} from '../distribution-cases.js';
import { debian13TestReleases } from './releases.js';
import { readElf } from '../../../src/elf/index.js';
import { RefusedError } from '../../../src/util/errors.js';
import { selectRunner } from '../../../src/toolchain/container/select-runner.js';
import { distroTarget } from '../../../src/sources/distro-target.js';
import { PAHOLE, structSizesWithPahole } from '../../../src/kernel/facts/pahole.js';
import { structSizedSections } from '../../../src/arch/x86_64/special-sections.js';

const patch = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const EXAMPLE = patch('../../../examples/cmdline-string.patch');
const BINFMT = patch('../../patches/debian13/binfmt-misc-status.patch');
/** Linux 7 reads the flag with READ_ONCE: the same change, another context. */
const BINFMT_7 = patch('../../patches/debian13/binfmt-misc-status-7.patch');
const REFUSE_INIT = patch('../../patches/debian13/refuse-init.patch');
const IBT_KEPT = patch('../../patches/debian13/ibt-kept-built.patch');
const IBT_SEALED = patch('../../patches/debian13/ibt-sealed-refused.patch');

const { trixie, backports } = await debian13TestReleases();
const runner = await selectRunner('podman', (line) => process.stderr.write(`  [podman] ${line}\n`));

/** Objtool's sections, made when kbuild links the module (IBT kernels defer objtool to that step). */
async function expectObjtoolSections(ko: string): Promise<void> {
  const elf = await readElf(ko);
  for (const name of ['.return_sites', '.orc_unwind', '.orc_unwind_ip', '__mcount_loc'])
    expect(elf.sectionByName(name), `${ko}: ${name}`).toBeDefined();
}

/** The address of proc_pid_statm is taken (a function pointer): its ENDBR stays, and the patch is built. */
async function endbrKeptCase(options: CaseOptions): Promise<BootCase> {
  const { ko } = await buildLivepatch(IBT_KEPT, { ...options, name: 'livepatch-ibt-kept' });
  return {
    name: 'an address whose ENDBR stays',
    modules: [ko],
    script: `report statm_before "$(grep -c '^Statm:' /proc/self/status)"\n${applied(ko, 'k', 'report statm "$(grep \'^Statm:\' /proc/self/status)"')}`,
    check(vm) {
      expectLoadedAndUnloaded(vm, 'k');
      // proc_pid_statm, called through a pointer: its 7 numbers after "Statm:".
      expect(vm.values['statm_before']).toBe('0');
      expect(vm.values['statm']).toMatch(/^Statm:\s+\d+ \d+ \d+ \d+ \d+ \d+ \d+$/);
    },
  };
}

/** Build the cases, check that each module carries objtool's sections, and boot them together. */
async function bootWithObjtoolSections(cases: BootCase[], options: CaseOptions): Promise<void> {
  for (const ko of cases.flatMap((c) => c.modules)) await expectObjtoolSections(ko);
  await bootCases(cases, options);
}

describe.each(trixie)("Debian 13's kernel %s", (kernel) => {
  // CI's time (issue 19): the older release runs the /proc group and the module case; the
  // remaining cases run on the newest (defined, not skipped, only there).
  const newest = kernel === trixie[0];
  const itOnNewest = (name: string, body: () => Promise<void>) => {
    if (newest) it(name, body);
  };
  const options = { kernel, runner };

  it('a /proc show function, a new function, a new global, an inline function of a header, an address whose ENDBR stays', async () => {
    await bootWithObjtoolSections([...(await procGroupCases(EXAMPLE, options)), await endbrKeptCase(options)], options);
  });

  it('a function of a module of the image (.ko.xz), loaded before and after the livepatch', async () => {
    await bootWithObjtoolSections([await moduleCase(BINFMT, options)], options);
  });

  itOnNewest(
    'shadow variables with callbacks, atomic replace, and a system call through kpatch-syscall.h',
    async () => {
      await bootWithObjtoolSections(
        [await shadowAndCallbacksCase(options), await atomicReplaceCase(options), await kpatchSyscallCase(options)],
        options,
      );
    },
  );

  itOnNewest(
    'refuses __init code, existing data, and the address of a function whose ENDBR is sealed, with the reason',
    async () => {
      const init = await buildFailure(REFUSE_INIT, options);
      expect(init.exitCode).toBe(2);
      expect(new Set((init as RefusedError).reasons.map((r) => r.category))).toEqual(new Set(['init-code']));
      const data = await buildFailure('refuse-data', options);
      expect((data as RefusedError).reasons.map((r) => [r.object, r.category])).toEqual([
        ['kernel/panic.o', 'existing-data'],
      ]);
      const sealed = await buildFailure(IBT_SEALED, options);
      expect(sealed).toBeInstanceOf(RefusedError);
      expect(sealed.exitCode).toBe(2);
      expect((sealed as RefusedError).reasons.map((r) => r.category)).toEqual(['sealed-endbr']);
      expect(sealed.message).toMatch(/proc_task_name/);
      expect(sealed.message).toMatch(/proc_pid_status/);
    },
  );
});

describe('the entry sizes of special sections', () => {
  it("are the same from the newest Debian 13 vmlinux's BTF as from its DWARF", async () => {
    const { vmlinux } = await distroTarget(trixie[0], () => {});
    const tags = [...new Set(structSizedSections().map((spec) => spec.tag))];
    const timed = async (source: 'btf' | 'dwarf') => {
      const started = performance.now();
      const sizes = await structSizesWithPahole(vmlinux, tags, PAHOLE, [source]);
      process.stderr.write(`  pahole -F ${source}: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
      return sizes;
    };
    const btf = await timed('btf');
    expect(btf.get('jump_entry')).toBe(16);
    expect(btf).toEqual(await timed('dwarf'));
  });
});

// The backports kernels: bookworm-backports' 6.12 (gcc-12) and trixie-backports' Linux 7 (whose
// single-file module objects come out of the compiler already processed by objtool: the module
// stage removes objtool's tables from the patch objects, and objtool writes them on the link).
describe.each(backports)('the backports kernel %s', (kernel) => {
  const options = { kernel, runner };

  it('a /proc show function of vmlinux and a function of a module of the image', async () => {
    const binfmt = kernel.startsWith('7.') ? BINFMT_7 : BINFMT;
    await bootWithObjtoolSections([await procShowCase(EXAMPLE, options), await moduleCase(binfmt, options)], options);
  });
});
