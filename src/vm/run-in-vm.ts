import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withDir } from 'tmp-promise';
import type { ModuleExercise } from '../report/exercise.js';
import { CALLS_TAG, parseCallCounts } from './call-counts.js';
import { buildInitramfs } from './initramfs.js';
import { guestModuleTree } from './module-tree.js';
import { VM_MEMORY_MIB } from './memory.js';
import { runQemu } from './qemu.js';
import { parseGuestReport } from './serial-protocol.js';

export interface VmRunOptions {
  bzImage: string;
  /** Shell script for the guest; runs in /modules with /lib/tsbp.sh helpers loaded. */
  script: string;
  modules?: readonly string[];
  /**
   * The booted kernel's own modules directory (a distribution kernel): the guest gets a
   * modprobe database of the modules it carries from there and the generic crypto modules, so
   * the kernel's own request_module() works (src/vm/module-tree.ts).
   */
  kernelModulesDir?: string | undefined;
  files?: Readonly<Record<string, Buffer | string>>;
  /** Extra kernel command line, e.g. "module.sig_enforce=1". */
  cmdline?: string;
  timeoutMs?: number;
  memoryMiB?: number;
  cpus?: number;
  onConsole?: (text: string) => void;
}

export interface VmResult {
  /** 'ok': the script ran to the end (see exitStatus); otherwise why there is no full result. */
  status: 'ok' | 'timeout' | 'no-boot' | 'crashed' | 'protocol-error';
  exitStatus: number | undefined;
  /** What the script printed (stdout and stderr). */
  output: string;
  /** `dmesg` at the end of the run, or the console when the guest did not get that far. */
  kernelLog: string;
  /** `report NAME VALUE` lines of the script. */
  values: Record<string, string>;
  /** The calls of livepatch functions the script counted (klp_count_start / klp_count_stop), per window. */
  exercise: ModuleExercise[];
  /** The raw serial console. */
  console: string;
  problems: string[];
  durationMs: number;
}

const BASE_CMDLINE = 'console=ttyS0 panic=-1 oops=panic loglevel=6 nokaslr';

/** Boot BZIMAGE with a generated initramfs, run the script, and collect what happened. */
export async function runInVm(options: VmRunOptions): Promise<VmResult> {
  return withDir(
    async ({ path: dir }) => {
      const initrd = join(dir, 'initrd.gz');
      const tree = options.kernelModulesDir
        ? await guestModuleTree(options.kernelModulesDir, options.modules ?? [])
        : {};
      await writeFile(
        initrd,
        await buildInitramfs({
          script: options.script,
          modules: options.modules ?? [],
          files: { ...tree, ...options.files },
        }),
      );
      const run = await runQemu({
        kernel: options.bzImage,
        initrd,
        cmdline: [BASE_CMDLINE, options.cmdline ?? ''].join(' ').trim(),
        memoryMiB: options.memoryMiB ?? VM_MEMORY_MIB.testKernel,
        cpus: options.cpus ?? 1,
        timeoutMs: options.timeoutMs ?? 120_000,
        ...(options.onConsole ? { onConsole: options.onConsole } : {}),
      });
      const report = parseGuestReport(run.console);
      const output = report.payloads.get('OUTPUT') ?? '';
      const values: Record<string, string> = {};
      for (const match of output.matchAll(/^@@value ([\w.-]+)=(.*)$/gm)) values[match[1] ?? ''] = match[2] ?? '';
      let status: VmResult['status'] = 'ok';
      if (run.timedOut) status = 'timeout';
      else if (!report.ready) status = 'no-boot';
      else if (report.exitStatus === undefined) status = 'crashed';
      else if (report.problems.length > 0) status = 'protocol-error';
      return {
        status,
        exitStatus: report.exitStatus,
        output: output.replace(/^@@value .*\n?/gm, ''),
        kernelLog: report.payloads.get('KLOG') ?? run.console,
        values,
        exercise: parseCallCounts(report.payloads.get(CALLS_TAG) ?? ''),
        console: run.console,
        problems: report.problems,
        durationMs: run.durationMs,
      };
    },
    { unsafeCleanup: true, prefix: 'tsbp-vm-' },
  );
}
