import { describe, expect, it } from 'vitest';
import { runInVm } from '../../src/vm/run-in-vm.js';
import { testKernel } from './test-kernel.js';

describe('VM harness', () => {
  it('returns a large output intact, with the exit status and the kernel log', async () => {
    const kernel = await testKernel();
    const result = await runInVm({
      bzImage: kernel.bzImage,
      script: 'seq 1 30000\ndmesg | head -n 3 >&2\nexit 7\n',
      timeoutMs: 120_000,
    });
    expect(result.problems).toEqual([]);
    expect(result.status).toBe('ok');
    expect(result.exitStatus).toBe(7);
    const lines = result.output.trimEnd().split('\n');
    expect(lines.slice(0, 30000)).toEqual(Array.from({ length: 30000 }, (_, i) => String(i + 1)));
    expect(result.kernelLog).toContain(`Linux version ${kernel.release}`);
  });

  it('kills a guest that does not finish and says so', async () => {
    const kernel = await testKernel();
    const started = Date.now();
    const result = await runInVm({ bzImage: kernel.bzImage, script: 'echo started; sleep 600\n', timeoutMs: 15_000 });
    expect(result.status).toBe('timeout');
    expect(result.exitStatus).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(result.console).toContain('@@TSBP:READY@@');
  });
});
