import { describe, expect, it } from 'vitest';
import { StageRunner } from '../../../src/pipeline/stages.js';

describe('StageRunner', () => {
  it('tells its observer when each stage starts and ends, and whether it failed', async () => {
    const events: string[] = [];
    const logged: string[] = [];
    const stages = new StageRunner((m) => logged.push(m), {
      stageStarted: (name) => events.push(`start ${name}`),
      stageEnded: (name, seconds, failed) => events.push(`end ${name} ${failed ? 'failed' : 'ok'} ${seconds >= 0}`),
    });
    expect(await stages.run('validate', async () => 1)).toBe(1);
    await expect(
      stages.run('patched-build', async () => {
        throw new Error('compile error');
      }),
    ).rejects.toThrow('compile error');
    expect(events).toEqual([
      'start validate',
      'end validate ok true',
      'start patched-build',
      'end patched-build failed true',
    ]);
    expect(logged).toEqual(['stage validate', 'stage patched-build']);
    expect(stages.stages.map((s) => s.name)).toEqual(['validate', 'patched-build']);
  });
});
