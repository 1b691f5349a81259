/**
 * The --json of the commands that need a kernel (a built module's run report, --vm-test,
 * vm-test, test-kernel), through the real command handlers run in-process (the CLI's parser,
 * its envelope, its exit status) with the kernel-bound work faked: the pipeline returns a typed
 * RunReport, the VM a typed VmResult, the test kernel its paths. The outputs of real kernels are
 * in test/kernel; here the schemas are held to what the types and the commands make.
 */
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { loadSchemas, type SchemaSet } from '../../support/json-contract.js';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunReport } from '../../../src/report/run-report.js';
import type { VmResult } from '../../../src/vm/run-in-vm.js';
import type { ModuleExercise } from '../../../src/report/exercise.js';
import type { TestKernel } from '../../../src/sources/test-kernel/provision.js';
import { exitCodeOf, type Outcome } from '../../../src/util/outcomes.js';
import { UsageError } from '../../../src/util/errors.js';

const report: RunReport = {
  module: 'livepatch-fix',
  output: '/out/livepatch-fix.ko',
  sha256: 'a'.repeat(64),
  signed: false,
  kernelRelease: '6.1.0-57-amd64',
  runner: 'host',
  stages: [{ name: 'validate', seconds: 0.1 }],
  objects: [
    {
      object: 'fs/proc/cmdline.o',
      target: 'vmlinux',
      outcome: 'changed',
      changedFunctions: ['cmdline_proc_show'],
      newFunctions: [],
      callbacks: [],
      reasons: [],
      categories: [],
      notes: [],
      klpSymbols: [],
    },
  ],
  warnings: [],
  logDir: '/cache/runs/x',
};
const exercised: ModuleExercise = {
  module: 'livepatch_fix',
  verdict: 'exercised',
  functions: [
    {
      object: 'vmlinux',
      function: 'cmdline_proc_show',
      sympos: 1,
      symbol: 'tsbp_new_cmdline_proc_show',
      calls: 3,
    },
  ],
};
const notMeasured: ModuleExercise = {
  module: 'livepatch_fix',
  verdict: 'not-measured',
  functions: [
    {
      object: 'vmlinux',
      function: 'cmdline_proc_show',
      sympos: 1,
      symbol: 'tsbp_new_cmdline_proc_show',
      calls: null,
      reason: 'no kprobe events in this kernel',
    },
  ],
};
const vm = (
  status: VmResult['status'],
  exitStatus: number | undefined,
  exercise: ModuleExercise[] = [exercised],
): VmResult => ({
  status,
  exitStatus,
  output: 'out',
  kernelLog: 'log',
  values: { transition: 'done' },
  exercise,
  console: 'console',
  problems: [],
  durationMs: 1234,
});
const testKernel: TestKernel = {
  source: '/c/src',
  config: '/c/.config',
  bzImage: '/c/bzImage',
  vmlinux: '/c/vmlinux',
  systemMap: '/c/System.map',
  moduleSymvers: '/c/Module.symvers',
  modulesDir: '/c/modules',
  release: '6.1.0-test',
};
let nextVm = vm('ok', 0);

vi.mock('../../../src/toolchain/container/select-runner.js', async (original) => ({
  ...(await original<object>()),
  selectRunner: async () => ({ description: 'host' }),
}));
vi.mock('../../../src/pipeline/run.js', async (original) => ({
  ...(await original<object>()),
  runPipeline: async () => structuredClone(report),
}));
// The VM faked where it boots: the stage's own logic (its outcome, --require-exercised) runs.
const boot = { image: '/c/bzImage', modulesDir: undefined, memoryMiB: 512 };
vi.mock('../../../src/vm/boot-target.js', async (original) => ({
  ...(await original<object>()),
  bootTarget: async () => boot,
  builtKernelBootTarget: async () => boot,
  guestModules: async (modules: string[]) => modules,
}));
vi.mock('../../../src/vm/default-script.js', async (original) => ({
  ...(await original<object>()),
  guestScript: async () => 'true\n',
}));
vi.mock('../../../src/vm/run-in-vm.js', async (original) => ({
  ...(await original<object>()),
  runInVm: async () => structuredClone(nextVm),
}));
vi.mock('../../../src/sources/test-kernel/provision.js', async (original) => ({
  ...(await original<object>()),
  provisionTestKernel: async () => testKernel,
}));

const { createCli } = await import('../../../src/cli/cli.js');

let validators = new Map<string, ValidateFunction>();
let ajv: SchemaSet['ajv'];
const schema = (kind: string): ValidateFunction => validators.get(kind)!;

beforeAll(async () => {
  ({ ajv, validators } = await loadSchemas());
});

afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

/** Run ARGS in-process: the JSON on stdout and the exit status set. */
async function run(args: string[]): Promise<{ json: Record<string, unknown>; exitCode: number }> {
  let stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  process.exitCode = undefined;
  await createCli(args).parseAsync();
  const exitCode = Number(process.exitCode ?? 0);
  vi.restoreAllMocks();
  return { json: JSON.parse(stdout) as Record<string, unknown>, exitCode };
}

function expectValid(kind: string, json: Record<string, unknown>, exitCode: number): void {
  const validate = schema(kind);
  expect(validate(json), `${kind}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  expect(json['exitCode']).toBe(exitCode);
  expect(json['exitCode']).toBe(exitCodeOf(json['outcome'] as Outcome));
}

function expectInvalidWithout(kind: string, json: Record<string, unknown>, field: string): void {
  const copy = structuredClone(json);
  expect(field in copy).toBe(true);
  delete copy[field];
  expect(schema(kind)(copy), `${kind} accepts an output without ${field}`).toBe(false);
}

describe('--json of the kernel-bound commands (the kernel faked)', () => {
  it('the run report: built; --vm-test whose script failed (4) or whose VM did not finish (5, as vm-test)', async () => {
    const built = await run(['fix.patch', '--json', '-q', '--container', 'none']);
    expect(built.json['outcome']).toBe('built');
    expectValid('build', built.json, 0);
    expect(built.json['module']).toBe('livepatch-fix');
    expectInvalidWithout('build', built.json, 'objects');

    nextVm = vm('ok', 1);
    const failed = await run(['fix.patch', '--json', '-q', '--container', 'none', '--vm-test']);
    expectValid('build', failed.json, exitCodeOf('vm-test-failed'));
    expect(failed.exitCode).toBe(4);

    nextVm = vm('timeout', undefined);
    const unfinished = await run(['fix.patch', '--json', '-q', '--container', 'none', '--vm-test']);
    expectValid('build', unfinished.json, exitCodeOf('vm-unfinished'));
    expect(unfinished.exitCode).toBe(5);
  });

  it('vm-test: passed, failed, unfinished (5)', async () => {
    for (const [result, code] of [
      [vm('ok', 0), 0],
      [vm('ok', 3), 4],
      [vm('no-boot', undefined), 5],
    ] as const) {
      nextVm = result;
      const out = await run(['vm-test', 'fix.ko', '--json']);
      expect(out.exitCode).toBe(code);
      expectValid('vm-test', out.json, code);
      expectInvalidWithout('vm-test', out.json, 'status');
    }
  });

  it('the calls counted while patched (exercise), and --require-exercised: a function not seen to run fails (4)', async () => {
    nextVm = vm('ok', 0, [exercised]);
    const passed = await run(['vm-test', 'fix.ko', '--json', '--require-exercised']);
    expect(passed.exitCode).toBe(0);
    expectValid('vm-test', passed.json, 0);
    expect(passed.json['exercise']).toEqual([exercised]);
    expect(passed.json['exerciseRequired']).toBe(true);
    expectInvalidWithout('vm-test', passed.json, 'exercise');
    expectInvalidWithout('vm-test', passed.json, 'exerciseRequired');

    // Not measured is information, not a failure, unless required.
    nextVm = vm('ok', 0, [notMeasured]);
    const informed = await run(['vm-test', 'fix.ko', '--json']);
    expect(informed.exitCode).toBe(0);
    expectValid('vm-test', informed.json, 0);
    expect(informed.json['exerciseRequired']).toBe(false);
    const required = await run(['vm-test', 'fix.ko', '--json', '--require-exercised']);
    expect(required.exitCode).toBe(exitCodeOf('vm-test-failed'));
    expectValid('vm-test', required.json, 4);

    const built = await run([
      'fix.patch',
      '--json',
      '-q',
      '--container',
      'none',
      '--vm-test',
      '--vm-require-exercised',
    ]);
    expect(built.exitCode).toBe(4);
    expectValid('build', built.json, 4);
    const vmTest = built.json['vmTest'] as Record<string, unknown>;
    expect(vmTest['exercise']).toEqual([notMeasured]);
    expect(vmTest['exerciseRequired']).toBe(true);
    expect(built.json['warnings']).toEqual([expect.stringContaining('not seen to run')]);

    nextVm = vm('ok', 0, [exercised]);
    const proven = await run([
      'fix.patch',
      '--json',
      '-q',
      '--container',
      'none',
      '--vm-test',
      '--vm-workload',
      'cat /proc/cmdline',
    ]);
    expect(proven.exitCode).toBe(0);
    expectValid('build', proven.json, 0);
    // The build's VM options go with --vm-test: without it, a usage error before anything runs.
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const usage = await (async () => createCli(['fix.patch', '--vm-workload', 'true', '-q']).parseAsync())().catch(
      (error: unknown) => error,
    );
    expect(usage).toBeInstanceOf(UsageError);
    expect((usage as UsageError).message).toMatch(/go with --vm-test/);
    vi.restoreAllMocks();
    // A count without its reason when not measured is refused by the schema.
    const bad = structuredClone(informed.json) as { exercise: Array<{ functions: Array<Record<string, unknown>> }> };
    delete bad.exercise[0]!.functions[0]!['reason'];
    expect(schema('vm-test')(bad)).toBe(false);
  });

  it('test-kernel', async () => {
    const out = await run(['test-kernel', '--json']);
    expect(out.exitCode).toBe(0);
    expectValid('test-kernel', out.json, 0);
    expectInvalidWithout('test-kernel', out.json, 'bzImage');
  });
});
