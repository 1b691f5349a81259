/** A run session marks its run's directory finished when the run is over, failed or not (run-logs.ts prunes only those). */
import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { dir as tmpDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { startRunSession } from '../../../src/util/run-session.js';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe('startRunSession', () => {
  it('marks the run finished after it, not before, also when it fails', async () => {
    const { path: root } = await tmpDir({ unsafeCleanup: true });
    const ok = await startRunSession({ log: () => {}, runsRoot: root });
    let markedDuring = true;
    await ok.run(async () => {
      markedDuring = await exists(join(ok.runDir, 'finished'));
    });
    expect(markedDuring).toBe(false);
    expect(await exists(join(ok.runDir, 'finished'))).toBe(true);

    const failing = await startRunSession({ log: () => {}, runsRoot: root });
    await expect(
      failing.run(async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await exists(join(failing.runDir, 'finished'))).toBe(true);
    expect(await readdir(root)).toHaveLength(2);
  });
});
