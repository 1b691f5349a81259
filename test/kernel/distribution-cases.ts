/**
 * The cases every distribution kernel runs (Debian 12's 6.1, Debian 13's 6.12, the backports),
 * written once: each case builds its livepatch(es) and gives the guest-shell lines that exercise
 * them and the checks on what the guest reported. Several cases share one boot (`bootCases`):
 * booting a distribution kernel under TCG costs more than the checks themselves (CI's time,
 * issue 19), and the cases load and unload one after another, so they do not see each other.
 */
import { expect } from 'vitest';
import { boot, buildLivepatch, load, unload } from './e2e/harness.js';
import type { Runner } from '../../src/toolchain/runner.js';
import type { VmResult } from '../../src/vm/run-in-vm.js';
import { readElf } from '../../src/elf/index.js';
import { modinfoValue } from '../../src/kernel/modinfo.js';
import { livepatchFunctions } from '../../src/kernel/livepatch-functions.js';
import { readModuleElfSync } from '../../src/kernel/module-file.js';
import { moduleNameOf } from '../../src/kernel/module-name.js';
import { describeExercise } from '../../src/report/exercise.js';
import { countStartCommand, countStopCommand } from '../../src/vm/call-counts.js';

export interface CaseOptions {
  kernel: string;
  runner?: Runner;
}

/** One case of a boot: its modules, its guest-shell lines, and what must hold afterwards. */
export interface BootCase {
  name: string;
  modules: string[];
  script: string;
  check(vm: VmResult): void;
}

/** What no boot may show: an oops, a warning (an unpatched return thunk warns), a bad module. */
export const BAD_LOG = /Oops|BUG:|WARNING:|Unpatched return thunk|disagrees about version|Unknown symbol|Missing ENDBR/;
/** Kernel taint bit W (a warning was printed). */
const TAINT_WARN = 1 << 9;

/** Boot the kernel once with every case's modules, run the cases in order, check each, then the log. */
export async function bootCases(cases: BootCase[], options: CaseOptions): Promise<VmResult> {
  const script = [
    'report release "$(uname -r)"',
    ...cases.map((c) => `# ${c.name}\n${c.script}`),
    'report tainted "$(cat /proc/sys/kernel/tainted)"',
  ].join('\n');
  const vm = await boot(
    cases.flatMap((c) => c.modules),
    script,
    undefined,
    options,
  );
  expect(vm.values['release']).toBe(options.kernel);
  for (const c of cases) c.check(vm);
  expect(vm.kernelLog).not.toMatch(BAD_LOG);
  expect(Number(vm.values['tainted']) & TAINT_WARN, 'taint W').toBe(0);
  return vm;
}

/** The tags a load and an unload report, all of which must be 0. */
export function expectLoadedAndUnloaded(vm: VmResult, ...tags: string[]): void {
  for (const tag of tags)
    for (const key of [tag, `${tag}_wait`, `${tag}_unload_disable`, `${tag}_unload_gone`, `${tag}_unload`])
      expect(vm.values[key], key).toBe('0');
}

/**
 * A livepatch loaded, LINES run while it is applied and the calls of its functions counted
 * (kprobe events: see expectExercised), then disabled and removed.
 */
export const applied = (ko: string, tag: string, lines: string) => {
  const patch = moduleNameOf(ko);
  const counting = countStartCommand(patch, livepatchFunctions(readModuleElfSync(ko)));
  return `${load(ko, tag)}${counting}\n${lines}\n${countStopCommand(patch)}\n${unload(ko, `${tag}_unload`)}`;
};

/**
 * While livepatch KO was applied (its first window of `applied`), each of FUNCTIONS ran: called
 * at least once, as counted in the guest (Debian's kernels have kprobe events). With none named,
 * at least one of its functions ran.
 */
export function expectExercised(vm: VmResult, ko: string, functions: readonly string[] = []): void {
  const patch = moduleNameOf(ko);
  const window = vm.exercise.find((e) => e.module === patch);
  expect(window, `no calls of ${patch} were counted`).toBeDefined();
  const seen = describeExercise(window!);
  for (const name of functions) {
    const counted = window!.functions.filter((f) => f.function === name);
    expect(counted.length, `${name} is not a patched function of ${patch}: ${seen}`).toBeGreaterThan(0);
    for (const f of counted) expect(f.calls ?? -1, seen).toBeGreaterThan(0);
  }
  if (functions.length === 0)
    expect(
      window!.functions.some((f) => (f.calls ?? 0) > 0),
      seen,
    ).toBe(true);
}

/** The functions a build changed (each object's, in order). */
const changedFunctions = (report: { objects: Array<{ changedFunctions: string[] }> }) =>
  report.objects.flatMap((o) => o.changedFunctions);

/** The example: a string change in a /proc show function of vmlinux. */
export async function procShowCase(example: string, options: CaseOptions): Promise<BootCase> {
  const { ko, report } = await buildLivepatch(example, { ...options, name: 'livepatch-cmdline' });
  expect(report.kernelRelease).toBe(options.kernel);
  expect(report.objects.map((o) => [o.object, o.target, o.changedFunctions])).toEqual([
    ['fs/proc/cmdline.o', 'vmlinux', ['cmdline_proc_show']],
  ]);
  return {
    name: 'a /proc show function',
    modules: [ko],
    script: `report before "$(cat /proc/cmdline)"\n${applied(ko, 'c', 'report during "$(cat /proc/cmdline)"')}\nreport after "$(cat /proc/cmdline)"`,
    check(vm) {
      expectLoadedAndUnloaded(vm, 'c');
      expectExercised(vm, ko, ['cmdline_proc_show']);
      expect(vm.values['during']).toBe(`${vm.values['before']} livepatch=tsbuild-patch`);
      expect(vm.values['after']).toBe(vm.values['before']);
    },
  };
}

/** A new function called by a changed one. */
export async function newFunctionCase(options: CaseOptions): Promise<BootCase> {
  const { ko, report } = await buildLivepatch('new-function', options);
  expect(report.objects[0]?.newFunctions).toEqual(['tsbp_version_extra']);
  return {
    name: 'a new function',
    modules: [ko],
    script: applied(ko, 'n', 'report added "$(tail -n 1 /proc/version)"'),
    check(vm) {
      expectLoadedAndUnloaded(vm, 'n');
      expectExercised(vm, ko, changedFunctions(report));
      expect(vm.values['added']).toBe('new-function: 42');
    },
  };
}

/** A new global defined in one file and used by another. */
export async function newGlobalCase(options: CaseOptions): Promise<BootCase> {
  const { ko, report } = await buildLivepatch('new-global', options);
  expect(report.objects.flatMap((o) => o.newFunctions)).toEqual(['tsbp_banner']);
  return {
    name: 'a new global',
    modules: [ko],
    script: applied(
      ko,
      'g',
      'report version "$(tail -n 1 /proc/version)"\nreport loadavg "$(tail -n 1 /proc/loadavg)"',
    ),
    check(vm) {
      expectLoadedAndUnloaded(vm, 'g');
      // version_proc_show and loadavg_proc_show: both files were read.
      expectExercised(vm, ko, changedFunctions(report));
      expect(vm.values['version']).toBe('new-global: banner (version)');
      expect(vm.values['loadavg']).toBe('new-global: banner (loadavg)');
    },
  };
}

/** An inline function of a header changed: the objects that inline it are patched. */
export async function headerInlineCase(options: CaseOptions): Promise<BootCase> {
  const { ko, report } = await buildLivepatch('header-inline', options);
  expect(report.objects.filter((o) => o.outcome === 'changed').map((o) => o.object)).toContain('fs/proc/fd.o');
  return {
    name: 'an inline function of a header',
    modules: [ko],
    script: `cat /proc/self/fdinfo/0 > /dev/null\n${applied(ko, 'h', 'cat /proc/self/fdinfo/0 > /dev/null; report read $?')}`,
    check(vm) {
      expectLoadedAndUnloaded(vm, 'h');
      // Of the functions proc_fd() was inlined into, fdinfo's reader at least.
      expectExercised(vm, ko);
      expect(vm.values['read']).toBe('0');
      expect(vm.kernelLog).toContain('tsbp-header: proc_fd() from the patched header');
    },
  };
}

/**
 * The /proc group every distribution kernel boots once: the example (its vermagic the kernel's),
 * a new function, a new global and an inline function of a header, then the kernel's own EXTRA.
 */
export async function procGroupCases(example: string, options: CaseOptions): Promise<BootCase[]> {
  const cmdline = await procShowCase(example, options);
  expect(modinfoValue(await readElf(cmdline.modules[0]!), 'vermagic')).toBe(
    `${options.kernel} SMP preempt mod_unload modversions `,
  );
  return [cmdline, await newFunctionCase(options), await newGlobalCase(options), await headerInlineCase(options)];
}

const MAX_ACTIVE = '/sys/bus/workqueue/devices/writeback/max_active';

/**
 * A changed constant passed to printk, nothing else (the lower bound the workqueue clamp warning
 * names): a change, not line-number drift. The warning is printed by setting the writeback
 * workqueue's max_active out of range through sysfs, before, during and after the livepatch.
 */
export async function printkConstantCase(patch: string, options: CaseOptions): Promise<BootCase> {
  const { ko, report } = await buildLivepatch(patch, { ...options, name: 'livepatch-printk-constant' });
  expect(report.objects.map((o) => [o.object, o.target, o.changedFunctions])).toEqual([
    ['kernel/workqueue.o', 'vmlinux', ['wq_clamp_max_active']],
  ]);
  return {
    name: 'a changed printk constant',
    modules: [ko],
    script: `
      max_active=$(cat ${MAX_ACTIVE}); report wq_read $?
      echo 100000 > ${MAX_ACTIVE}; report wq_before $?
      ${applied(ko, 'pc', `echo 100001 > ${MAX_ACTIVE}; report wq_during $?`)}
      echo 100002 > ${MAX_ACTIVE}; report wq_after $?
      echo "$max_active" > ${MAX_ACTIVE}; report wq_restored "$(cat ${MAX_ACTIVE})"`,
    check(vm) {
      expectLoadedAndUnloaded(vm, 'pc');
      expect([vm.values['wq_read'], vm.values['wq_before'], vm.values['wq_during'], vm.values['wq_after']]).toEqual([
        '0',
        '0',
        '0',
        '0',
      ]);
      const clamped = (value: number, bound: number) =>
        new RegExp(`max_active ${value} requested for writeback is out of range, clamping between ${bound} and \\d+`);
      expect(vm.kernelLog).toMatch(clamped(100000, 1));
      expect(vm.kernelLog).toMatch(clamped(100001, 42));
      expect(vm.kernelLog).toMatch(clamped(100002, 1));
      expect(vm.values['wq_restored']).toMatch(/^\d+$/);
    },
  };
}

const STATUS = '/proc/sys/fs/binfmt_misc/status';

/**
 * A function of binfmt_misc, a module of the image: the module loaded first and then the
 * livepatch, and, after both are gone, the livepatch first and then the module (patched as it
 * loads).
 */
export async function moduleCase(patch: string, options: CaseOptions): Promise<BootCase> {
  const { ko, report } = await buildLivepatch(patch, { ...options, name: 'livepatch-binfmt' });
  expect(report.objects.map((o) => [o.object, o.target, o.changedFunctions])).toEqual([
    ['fs/binfmt_misc.o', 'binfmt_misc', ['bm_status_read']],
  ]);
  // Linux 6.1 cannot write a livepatch's relocations into a module loaded again while the
  // livepatch stays (no clear_relocate_add before 6.3): the build says so when it has some.
  const relocatesIntoModule = report.objects.some((o) =>
    (o.klpSymbols ?? []).some((s) => s.startsWith('binfmt_misc:')),
  );
  expect(report.warnings.some((w) => w.includes('binfmt_misc cannot be unloaded and loaded again'))).toBe(
    relocatesIntoModule && /^6\.1\./.test(options.kernel),
  );
  const patched = 'cat /sys/kernel/livepatch/livepatch_binfmt/binfmt_misc/patched';
  return {
    name: 'a function of a module of the image',
    modules: [ko],
    script: `
      insmod ./binfmt_misc.ko; report mod $?
      mount -t binfmt_misc none /proc/sys/fs/binfmt_misc; report mount $?
      report status_before "$(cat ${STATUS})"
      ${applied(ko, 'b', `report status_during "$(cat ${STATUS})"`)}
      report status_after "$(cat ${STATUS})"
      umount /proc/sys/fs/binfmt_misc; rmmod binfmt_misc; report rmmod $?
      ${load(ko, 'b2')}
      report patched_before "$(${patched})"
      insmod ./binfmt_misc.ko; report mod2 $?
      mount -t binfmt_misc none /proc/sys/fs/binfmt_misc
      report patched_after "$(${patched})"
      report status_late "$(cat ${STATUS})"
      umount /proc/sys/fs/binfmt_misc
      ${unload(ko, 'b2_unload')}`,
    check(vm) {
      expectLoadedAndUnloaded(vm, 'b', 'b2');
      expectExercised(vm, ko, ['bm_status_read']);
      expect([vm.values['mod'], vm.values['mount'], vm.values['rmmod'], vm.values['mod2']]).toEqual([
        '0',
        '0',
        '0',
        '0',
      ]);
      expect(vm.values['status_before']).toBe('enabled');
      expect(vm.values['status_during']).toBe('enabled (livepatched)');
      expect(vm.values['status_after']).toBe('enabled');
      expect(vm.values['patched_before']).toBe('0');
      expect(vm.values['patched_after']).toBe('1');
      expect(vm.values['status_late']).toBe('enabled (livepatched)');
    },
  };
}

/** Shadow variables; then pre/post (un)patch callbacks, in their order. */
export async function shadowAndCallbacksCase(options: CaseOptions): Promise<BootCase> {
  const shadow = await buildLivepatch('shadow-variable', options);
  const callbacks = await buildLivepatch('callbacks', { ...options, replace: false });
  return {
    name: 'shadow variables and callbacks',
    modules: [shadow.ko, callbacks.ko],
    script: `
      ${applied(shadow.ko, 's', 'report first "$(tail -n 1 /proc/version)"\nreport second "$(tail -n 1 /proc/version)"')}
      ${applied(callbacks.ko, 'cb', 'report callbacks "$(tail -n 1 /proc/version)"')}`,
    check(vm) {
      expectLoadedAndUnloaded(vm, 's', 'cb');
      expect(vm.values['first']).toBe('shadow reads=1');
      expect(vm.values['second']).toBe('shadow reads=2');
      expect(vm.kernelLog).toContain('tsbp-shadow: freed');
      expect(vm.values['callbacks']).toBe('callbacks: patched');
      const order = [...vm.kernelLog.matchAll(/tsbp-callbacks: (\w+)/g)].map((m) => m[1]);
      expect(order).toEqual(['pre_patch', 'post_patch', 'pre_unpatch', 'post_unpatch']);
    },
  };
}

/** Atomic replace: B replaces A in one transition, and A's module can then be removed. */
export async function atomicReplaceCase(options: CaseOptions): Promise<BootCase> {
  const a = await buildLivepatch('replace-a', { ...options, name: 'livepatch-replace-a', replace: true });
  const b = await buildLivepatch('replace-b', { ...options, name: 'livepatch-replace-b', replace: true });
  return {
    name: 'atomic replace',
    modules: [a.ko, b.ko],
    script: `
      ${load(a.ko, 'a')}
      report loadavg_a "$(tail -n 1 /proc/loadavg)"
      ${load(b.ko, 'r')}
      klp_wait_gone livepatch_replace_a; report a_gone $?
      report loadavg_b "$(tail -n 1 /proc/loadavg)"
      report version_b "$(tail -n 1 /proc/version)"
      rmmod livepatch_replace_a; report rmmod_a $?
      ${unload(b.ko, 'r_unload')}`,
    check(vm) {
      expectLoadedAndUnloaded(vm, 'r');
      expect([vm.values['a'], vm.values['a_wait'], vm.values['a_gone'], vm.values['rmmod_a']]).toEqual([
        '0',
        '0',
        '0',
        '0',
      ]);
      expect(vm.values['loadavg_a']).toBe('patch A');
      expect(vm.values['loadavg_b']).not.toContain('patch A');
      expect(vm.values['version_b']).toBe('patch B');
    },
  };
}

/** System calls patched through kpatch's kpatch-syscall.h macros. */
export async function kpatchSyscallCase(options: CaseOptions): Promise<BootCase> {
  const { ko, report } = await buildLivepatch('kpatch-syscall', options);
  expect(report.objects.find((o) => o.object === 'kernel/sys.o')?.changedFunctions).toEqual(
    expect.arrayContaining(['__x64_sys_newuname', '__x64_sys_sethostname']),
  );
  return {
    name: 'a system call through kpatch-syscall.h',
    modules: [ko],
    script: `report uname_before "$(uname -r)"\n${applied(ko, 'sys', 'report uname_during "$(uname -r)"\nhostname forbidden-during; report set_during $?')}`,
    check(vm) {
      expectLoadedAndUnloaded(vm, 'sys');
      expectExercised(vm, ko, ['__x64_sys_newuname', '__x64_sys_sethostname']);
      expect(vm.values['uname_during']).toBe(`${vm.values['uname_before']}+kpatch-syscall`);
      expect(vm.values['set_during']).not.toBe('0');
    },
  };
}

const SCHED_DEBUG = '/sys/kernel/debug/sched/debug';

/**
 * A fix in a C file that the kernel compiles only inside another: kernel/sched/rt.c, #included
 * by kernel/sched/build_policy.c. The livepatch replaces the function of build_policy.o (no
 * kernel/sched/rt.o is built); the guest sees it in sysfs under vmlinux and running, in the
 * scheduler's debug file (one line per CPU while patched).
 */
export async function includedSourceCase(patch: string, options: CaseOptions): Promise<BootCase> {
  const lines: string[] = [];
  const { ko, report } = await buildLivepatch(patch, {
    ...options,
    name: 'livepatch-rt',
    log: (line) => lines.push(line),
  });
  expect(report.objects.map((o) => [o.object, o.target, o.changedFunctions])).toEqual([
    ['kernel/sched/build_policy.o', 'vmlinux', ['print_rt_stats']],
  ]);
  expect(lines.join('\n')).toContain(
    'kernel/sched/rt.c is not compiled on its own: #included by kernel/sched/build_policy.c',
  );
  const count = `grep -c tsbp-rt ${SCHED_DEBUG}`;
  return {
    name: 'a fix in a C file #included by another',
    modules: [ko],
    script: `
      mount -t debugfs none /sys/kernel/debug 2>/dev/null
      report rt_before "$(${count})"
      ${applied(
        ko,
        'rt',
        `report rt_funcs "$(cd /sys/kernel/livepatch/livepatch_rt/vmlinux && ls -d -- *,*)"
      report rt_during "$(${count})"
      report rt_line "$(grep tsbp-rt ${SCHED_DEBUG} | head -n 1)"`,
      )}
      report rt_after "$(${count})"`,
    check(vm) {
      expectLoadedAndUnloaded(vm, 'rt');
      expect(vm.values['rt_funcs']).toBe('print_rt_stats,1');
      expect(vm.values['rt_before']).toBe('0');
      expect(Number(vm.values['rt_during'])).toBeGreaterThan(0);
      expect(vm.values['rt_line']).toBe('tsbp-rt: print_rt_stats of cpu 0 livepatched');
      expect(vm.values['rt_after']).toBe('0');
    },
  };
}
