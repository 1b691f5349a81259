/**
 * The vm-test stage: boot a kernel under qemu with modules and the kernel's own modules they
 * need, run a guest script (default: load, wait for the transitions, count the calls of the
 * livepatches' functions while it shows the state and runs the workload, disable, unload), and
 * say what came of it. `tsbuild-patch vm-test` runs it on given modules;
 * `--vm-test` of the main job on the module just built, in the kernel it was built for.
 */
import { kernelModuleName } from '../kernel/module-name.js';
import { exerciseShortfalls } from '../report/exercise.js';
import type { RunReport } from '../report/run-report.js';
import type { Logger } from '../util/log.js';
import { vmTestOutcome, type VmTestOutcome } from '../util/outcomes.js';
import type { StageHooks } from '../util/progress.js';
import { bootTarget, builtKernelBootTarget, guestModules, type BootTarget } from '../vm/boot-target.js';
import { guestScript } from '../vm/default-script.js';
import { runInVm, type VmResult } from '../vm/run-in-vm.js';

export interface VmTestOptions {
  /** The .ko files to load (the kernel's own modules they need are added before them). */
  modules: readonly string[];
  /** The guest script: a file, or shell commands; neither: load, check, disable, unload. */
  script?: string | undefined;
  exec?: string | undefined;
  /** Shell commands the default script runs while the livepatches are applied. */
  workload?: string | undefined;
  /** Fail unless every patched function was seen to run (--require-exercised). */
  requireExercised?: boolean | undefined;
  timeoutMs: number;
  cpus?: number;
  /** Extra kernel command line. */
  cmdline?: string | undefined;
  /** The serial console as it comes. */
  onConsole?: ((text: string) => void) | undefined;
}

export interface VmTestResult {
  outcome: VmTestOutcome;
  vm: VmResult;
  /** Whether every patched function had to be seen to run (--require-exercised). */
  exerciseRequired: boolean;
  /** With it, why the calls counted do not show that (each function not called or not counted). */
  shortfalls: string[];
}

/** Run the guest script in the kernel BOOT. */
export async function runVmTest(boot: BootTarget, options: VmTestOptions): Promise<VmTestResult> {
  const modules = await guestModules(options.modules, boot.modulesDir);
  const script = await guestScript({ file: options.script, exec: options.exec, workload: options.workload, modules });
  const vm = await runInVm({
    bzImage: boot.image,
    memoryMiB: boot.memoryMiB,
    script,
    modules,
    kernelModulesDir: boot.modulesDir,
    timeoutMs: options.timeoutMs,
    ...(options.cpus !== undefined ? { cpus: options.cpus } : {}),
    ...(options.cmdline ? { cmdline: options.cmdline } : {}),
    ...(options.onConsole ? { onConsole: options.onConsole } : {}),
  });
  const exerciseRequired = options.requireExercised ?? false;
  const shortfalls = exerciseRequired ? exerciseShortfalls(vm.exercise) : [];
  return { outcome: vmTestOutcome(vm, shortfalls.length === 0), vm, exerciseRequired, shortfalls };
}

/** `tsbuild-patch vm-test`: KERNEL is a release, a bootable image file, or none (the test kernel). */
export async function vmTestStage(
  options: VmTestOptions & { kernel: string | undefined; log: Logger },
): Promise<VmTestResult> {
  return runVmTest(await bootTarget(options.kernel, options.log), options);
}

export interface BuiltModuleVmTestOptions {
  /** Another kernel to boot (a release or an image file) than the one the module was built for. */
  vmKernel?: string | undefined;
  script?: string | undefined;
  workload?: string | undefined;
  requireExercised?: boolean | undefined;
  /** The module was built for a distribution's kernel (--kernel), which wants more memory. */
  distribution: boolean;
  log: Logger;
  progress?: StageHooks | undefined;
}

/**
 * --vm-test of the main job: the module of REPORT in the kernel it was built for. The VM's result
 * goes into the report (and a warning when it failed); the outcome is the main job's: built,
 * vm-test-failed (the script failed) or vm-unfinished (the VM did not finish), as `vm-test`'s.
 */
export async function vmTestBuiltModule(
  report: RunReport,
  options: BuiltModuleVmTestOptions,
): Promise<'built' | 'vm-test-failed' | 'vm-unfinished'> {
  if (!report.output) return 'built';
  const boot = options.vmKernel
    ? await bootTarget(options.vmKernel, options.log)
    : await builtKernelBootTarget(
        { image: report.kernelImage, modulesDir: report.modulesDir, distribution: options.distribution },
        options.log,
      );
  options.progress?.stageStarted('vm-test');
  const { vm, outcome, exerciseRequired, shortfalls } = await runVmTest(boot, {
    modules: [report.output],
    script: options.script,
    workload: options.workload,
    requireExercised: options.requireExercised,
    timeoutMs: 240_000,
  }).finally(() => options.progress?.stageEnded('vm-test'));
  report.vmTest = {
    status: vm.status,
    exitStatus: vm.exitStatus,
    output: vm.output,
    exercise: vm.exercise,
    exerciseRequired,
  };
  if (outcome === 'passed') return 'built';
  report.warnings.push(
    vm.status === 'ok' && vm.exitStatus === 0 && shortfalls.length > 0
      ? `vm test failed: a patched function was not seen to run (--vm-require-exercised): ${shortfalls.join('; ')}`
      : `vm test failed (${vm.status}, exit ${vm.exitStatus ?? '-'}); livepatch ${kernelModuleName(report.module)}`,
  );
  return outcome;
}
