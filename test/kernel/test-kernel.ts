import { provisionTestKernel, type TestKernel } from '../../src/sources/test-kernel/provision.js';
import { stderrLogger } from '../../src/util/log.js';

let provisioned: Promise<TestKernel> | undefined;

/** The test kernel, provisioned (built on a cold cache) once per test process. */
export function testKernel(): Promise<TestKernel> {
  provisioned ??= provisionTestKernel({ log: stderrLogger });
  return provisioned;
}
