/**
 * The machine output of the kernel-bound commands, from real runs on the test kernel: a build's
 * run report (--json), vm-test's report of a boot (its calls not measured: the test kernel has no
 * kprobe events; required, that fails the test), a build refused and the test kernel's paths,
 * each valid against its schema in schemas/, with the exit code the process exits with.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { dir as tmpDir } from 'tmp-promise';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSchemas, type SchemaSet } from '../../support/json-contract.js';
import { exitCodeOf, type Outcome } from '../../../src/util/outcomes.js';
import { PATCHES } from './harness.js';

const BIN = fileURLToPath(new URL('../../../bin/tsbuild-patch.js', import.meta.url));
let schemas: SchemaSet;
beforeAll(async () => {
  schemas = await loadSchemas();
});

/** Run the CLI; its one JSON document on stdout is valid against KIND and carries the exit status. */
async function jsonRun(kind: string, args: string[]): Promise<Record<string, unknown>> {
  const result = await execa('node', [BIN, ...args, '--json'], { reject: false });
  const document = JSON.parse(String(result.stdout)) as Record<string, unknown>;
  const validate = schemas.validators.get(kind)!;
  expect(validate(document), `${kind}: ${schemas.ajv.errorsText(validate.errors)}`).toBe(true);
  expect(document['exitCode']).toBe(result.exitCode);
  expect(document['exitCode']).toBe(exitCodeOf(document['outcome'] as Outcome));
  return document;
}

describe('the --json of real runs on the test kernel', () => {
  it('a built module, its proof in the VM, a refusal and the test kernel, each as its schema says', async () => {
    const { path: dir } = await tmpDir({ unsafeCleanup: true });
    const ko = join(dir, 'livepatch-json.ko');
    const built = await jsonRun('build', [join(PATCHES, 'proc-version-string.patch'), '--container', 'none', '-o', ko]);
    expect(built['outcome']).toBe('built');
    const proved = await jsonRun('vm-test', ['vm-test', ko, '--workload', 'cat /proc/version']);
    expect(proved['outcome']).toBe('passed');
    // The test kernel has no kprobe events: the calls are honestly not measured, which is
    // information, not a failure, unless it is required.
    expect(proved['exercise']).toEqual([
      {
        // The kernel's name of the module (its .modinfo's), whatever the file is called.
        module: 'livepatch_proc_version_string',
        verdict: 'not-measured',
        functions: [
          {
            object: 'vmlinux',
            function: 'version_proc_show',
            sympos: 1,
            symbol: 'tsbp_new_version_proc_show',
            calls: null,
            reason: expect.stringMatching(/^no kprobe events in this kernel/),
          },
        ],
      },
    ]);
    expect(proved['output']).toContain('version: livepatched');
    const required = await jsonRun('vm-test', ['vm-test', ko, '--require-exercised']);
    expect(required['outcome']).toBe('vm-test-failed');
    expect(required['exitCode']).toBe(4);
    expect(required['exitStatus']).toBe(0);
    expect(required['exerciseRequired']).toBe(true);
    const refused = await jsonRun('failure', [
      join(PATCHES, 'refuse-data.patch'),
      '--container',
      'none',
      '-o',
      join(dir, 'x.ko'),
    ]);
    expect(refused['outcome']).toBe('refused');
    expect(refused['exitCode']).toBe(2);
    const kernel = await jsonRun('test-kernel', ['test-kernel']);
    expect(kernel['outcome']).toBe('done');
  });
});
