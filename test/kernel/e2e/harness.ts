import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dirSync } from 'tmp-promise';
import { hostRunner, type Runner } from '../../../src/toolchain/runner.js';
import { runPipeline } from '../../../src/pipeline/run.js';
import type { RunReport } from '../../../src/report/run-report.js';
import { UserError } from '../../../src/util/errors.js';
import { moduleNameOf } from '../../../src/kernel/module-name.js';
import { runInVm, type VmResult } from '../../../src/vm/run-in-vm.js';
import { bootTarget, guestModules } from '../../../src/vm/boot-target.js';
import { VM_MEMORY_MIB } from '../../../src/vm/memory.js';
import { testKernel } from '../test-kernel.js';

export const PATCHES = fileURLToPath(new URL('../../patches/', import.meta.url));
const outputs = dirSync({ prefix: 'tsbp-e2e-', unsafeCleanup: true });

export interface Built {
  report: RunReport;
  ko: string;
  seconds: number;
}

/**
 * Run the whole pipeline on test/patches/NAME.patch, or a path, (or several) against the test
 * kernel. The module stacks, as the tool's default is, unless REPLACE asks for atomic replace.
 */
export async function buildLivepatch(
  names: string | string[],
  options: { name?: string; replace?: boolean; runner?: Runner; kernel?: string; log?: (line: string) => void } = {},
): Promise<Built> {
  const list = Array.isArray(names) ? names : [names];
  const name =
    options.name ??
    `livepatch-${list[0]!
      .split('/')
      .pop()!
      .replace(/\.patch$/, '')}`;
  const started = performance.now();
  const report = await runPipeline({
    patches: list.map((n) => (n.includes('/') ? n : join(PATCHES, `${n}.patch`))),
    target: options.kernel ? { kernel: options.kernel } : {},
    runner: options.runner ?? hostRunner,
    name,
    output: join(outputs.name, `${name}.ko`),
    replace: options.replace ?? false,
    keepTmp: false,
    log: (line) => {
      options.log?.(line);
      process.stderr.write(`  [${name}] ${line}\n`);
    },
  });
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write(`  [${name}] built in ${seconds.toFixed(1)} s\n`);
  return { report, ko: report.output!, seconds };
}

/** Run the pipeline and return the UserError it must fail with. */
export async function buildFailure(
  names: string | string[],
  options: { kernel?: string; runner?: Runner; name?: string; log?: (line: string) => void } = {},
): Promise<UserError> {
  try {
    await buildLivepatch(names, options);
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error(`${String(names)}: the pipeline did not fail`);
}

/** Boot the test kernel with MODULES and run SCRIPT; fails the test if the VM did not finish. */
export async function boot(
  modules: string[],
  script: string,
  cmdline?: string,
  options: { kernel?: string } = {},
): Promise<VmResult> {
  const kernel = options.kernel
    ? await bootTarget(options.kernel, () => {})
    : { image: (await testKernel()).bzImage, memoryMiB: VM_MEMORY_MIB.testKernel, modulesDir: undefined };
  // A livepatch of a module of a distribution kernel brings that module (and its dependencies).
  const guest = await guestModules(modules, kernel.modulesDir);
  const result = await runInVm({
    bzImage: kernel.image,
    memoryMiB: kernel.memoryMiB,
    script,
    modules: guest,
    kernelModulesDir: kernel.modulesDir,
    timeoutMs: 300_000,
    ...(cmdline ? { cmdline } : {}),
  });
  if (result.status !== 'ok') {
    throw new Error(`VM ${result.status}: ${result.problems.join('; ')}\n${result.console.slice(-3000)}`);
  }
  return result;
}

/** Guest shell: load a livepatch module and wait for its transition. */
export const load = (ko: string, tag = 'load') => {
  const file = ko.split('/').pop()!;
  const patch = moduleNameOf(file);
  return `insmod ./${file}; report ${tag} $?\nklp_wait ${patch}; report ${tag}_wait $?\n`;
};

/** Guest shell: disable a livepatch, wait until it is gone and remove its module. */
export const unload = (ko: string, tag = 'unload') => {
  const patch = moduleNameOf(ko);
  return `klp_disable ${patch}; report ${tag}_disable $?\nklp_wait_gone ${patch}; report ${tag}_gone $?\nrmmod ${patch}; report ${tag} $?\n`;
};
