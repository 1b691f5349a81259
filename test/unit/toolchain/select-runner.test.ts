import { describe, expect, it } from 'vitest';
import type { Engine } from '../../../src/toolchain/container/engine.js';
import { probeEngine } from '../../../src/toolchain/container/probe.js';
import { selectRunner } from '../../../src/toolchain/container/select-runner.js';
import { hostRunner } from '../../../src/toolchain/runner.js';

const fakeEngine = (binary: string, globalArgs: string[] = []): Engine => ({
  kind: 'podman',
  binary,
  globalArgs,
  runArgs: [],
  baseRepository: 'debian',
  installHint: 'install it',
});

describe('selectRunner', () => {
  it('runs on the host for --container none', async () => {
    expect(await selectRunner('none', () => {})).toBe(hostRunner);
  });

  it('falls back to the host for auto when no engine works, and says why', async () => {
    const messages: string[] = [];
    const runner = await selectRunner('auto', (m) => messages.push(m), {
      autoOrder: [fakeEngine('tsbuild-patch-no-podman'), { ...fakeEngine('tsbuild-patch-no-docker'), kind: 'docker' }],
    });
    expect(runner).toBe(hostRunner);
    expect(messages).toEqual([
      "no working container engine (podman: 'tsbuild-patch-no-podman' is not installed; docker: 'tsbuild-patch-no-docker' is not installed): building on the host",
    ]);
  });
});

describe('probeEngine', () => {
  it('reports a missing engine binary', async () => {
    const probe = await probeEngine(fakeEngine('tsbuild-patch-no-such-engine'));
    expect(probe).toEqual({ ok: false, reason: "'tsbuild-patch-no-such-engine' is not installed" });
  });

  it('reports an engine whose info fails, with its message', async () => {
    const probe = await probeEngine(fakeEngine('sh', ['-c', 'echo "cannot connect to the daemon" >&2; exit 1', 'sh']));
    expect(probe.ok).toBe(false);
    expect(probe.ok ? '' : probe.reason).toContain('cannot connect to the daemon');
  });

  it('accepts an engine that answers with a version, and asks only once', async () => {
    const engine = fakeEngine('sh', ['-c', 'echo 4.3.1 runc; date +%s%N', 'sh']);
    const first = await probeEngine(engine);
    expect(first.ok).toBe(true);
    expect(await probeEngine(engine)).toEqual(first);
  });
});
