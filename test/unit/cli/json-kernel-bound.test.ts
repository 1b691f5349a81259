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
import type { TestKernel } from '../../../src/sources/test-kernel/provision.js';
import { exitCodeOf, type Outcome } from '../../../src/util/outcomes.js';

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
const vm = (status: VmResult['status'], exitStatus: number | undefined): VmResult => ({
  status,
  exitStatus,
  output: 'out',
  kernelLog: 'log',
  values: { transition: 'done' },
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
vi.mock('../../../src/pipeline/vm-test-stage.js', async (original) => {
  const outcomes = await import('../../../src/util/outcomes.js');
  return {
    ...(await original<object>()),
    vmTestStage: async () => ({ vm: nextVm, outcome: outcomes.vmTestOutcome(nextVm) }),
    vmTestBuiltModule: async (built: RunReport) => {
      built.vmTest = { status: nextVm.status, exitStatus: nextVm.exitStatus, output: nextVm.output };
      const outcome = outcomes.vmTestOutcome(nextVm);
      return outcome === 'passed' ? 'built' : outcome;
    },
  };
});
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

  it('test-kernel', async () => {
    const out = await run(['test-kernel', '--json']);
    expect(out.exitCode).toBe(0);
    expectValid('test-kernel', out.json, 0);
    expectInvalidWithout('test-kernel', out.json, 'bzImage');
  });
});
