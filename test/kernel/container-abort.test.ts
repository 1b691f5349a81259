import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { dir as tmpDir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNER_LABEL, removeContainer } from '../../src/toolchain/container/container-runner.js';
import { DOCKER, PODMAN, engineCall, type Engine } from '../../src/toolchain/container/engine.js';
import { probeEngine } from '../../src/toolchain/container/probe.js';
import { selectRunner } from '../../src/toolchain/container/select-runner.js';
import { stderrLogger } from '../../src/util/log.js';

// A build container must not outlive the tsbuild-patch process that started it, however that
// process ends. A separate node process starts a long container command through the container
// runner; the test ends that process in each way and watches the engine's container list.
const repo = resolve(import.meta.dirname, '../..');
const src = (path: string) => pathToFileURL(join(repo, 'src', path)).href;

const HOLDER = `
import { selectRunner } from '${src('toolchain/container/select-runner.js')}';
import { onInterrupt } from '${src('util/interrupt.js')}';
const runner = await selectRunner(process.argv[2], () => {});
onInterrupt(async () => {});
const child = runner.exec('sh', ['-c', 'echo started; exec sleep 600'], { env: {}, all: true });
child.all.on('data', (data) => process.stdout.write(data));
process.on('SIGUSR1', () => child.kill('SIGKILL'));
const result = await child;
console.log('client ended', result.exitCode ?? result.signal);
`;

async function containersOf(engine: Engine, pid: number): Promise<string[]> {
  const result = await engineCall(engine, [
    'ps',
    '--all',
    '--filter',
    `label=${OWNER_LABEL}=${pid}`,
    '--format',
    '{{.Names}}',
  ]);
  expect(result.failed, String(result.all)).toBe(false);
  return result.stdout.split('\n').filter((line) => line.trim() !== '');
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 250));
  }
}

// Both engines: scripts/install-deps.sh installs podman and docker.io, so one that does not
// answer fails the tests (naming why), it is not skipped.
const dockerProbe = await probeEngine(DOCKER);
const engines = [
  { engine: PODMAN, missing: undefined as string | undefined },
  {
    engine: DOCKER,
    missing: dockerProbe.ok
      ? undefined
      : `docker does not answer: ${dockerProbe.reason} (scripts/install-deps.sh installs docker.io; its daemon must be running)`,
  },
];

for (const { engine, missing } of engines) {
  describe(`build container abort: ${engine.kind}`, () => {
    let script: string;
    let cleanup: () => Promise<void>;

    beforeAll(async () => {
      if (missing) throw new Error(missing);
      await selectRunner(engine.kind, stderrLogger); // image built and checked before timing starts
      const dir = await tmpDir({ unsafeCleanup: true });
      cleanup = dir.cleanup;
      script = join(dir.path, 'hold-container.mts');
      await writeFile(script, HOLDER);
    });
    afterAll(() => cleanup?.());

    /** Start the holder, wait until its container printed, end it by HOW, return how long the container lived on. */
    async function endHolder(how: (holder: ResultPromise) => void): Promise<{ lingerMs: number; output: string }> {
      const holder = execa('node', ['--import', 'tsx', script, engine.kind], {
        cwd: repo,
        reject: false,
        all: true,
        buffer: true,
        stdin: 'ignore',
      });
      let output = '';
      holder.all?.on('data', (data: Buffer) => {
        output += data.toString();
      });
      try {
        await waitFor(
          'the container to start',
          async () => {
            if (output.includes('started')) return true;
            // A holder that died (it could not even start its container) fails at once, with its output.
            if (holder.exitCode !== null) throw new Error(`the holder exited ${holder.exitCode}:\n${output}`);
            return undefined;
          },
          120_000,
        );
        const pid = holder.pid!;
        expect(await containersOf(engine, pid)).toHaveLength(1);
        const ended = Date.now();
        how(holder);
        await waitFor(
          'the container to be gone',
          async () => ((await containersOf(engine, pid)).length === 0 ? true : undefined),
          30_000,
        );
        const lingerMs = Date.now() - ended;
        await holder;
        return { lingerMs, output };
      } finally {
        holder.kill('SIGKILL');
        // Leave nothing behind when an assertion failed.
        for (const name of holder.pid ? await containersOf(engine, holder.pid) : [])
          await removeContainer(engine, name);
      }
    }

    it('removes the container when the host process is killed with SIGKILL (watchdog on stdin)', async () => {
      const { lingerMs } = await endHolder((holder) => holder.kill('SIGKILL'));
      stderrLogger(`container abort test: ${engine.kind} SIGKILL: container gone after ${lingerMs} ms`);
      expect(lingerMs).toBeLessThan(15_000);
    });

    it('removes the container before exiting on SIGTERM and on SIGINT', async () => {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        const { lingerMs } = await endHolder((holder) => holder.kill(signal));
        stderrLogger(`container abort test: ${engine.kind} ${signal}: container gone after ${lingerMs} ms`);
        expect(lingerMs).toBeLessThan(15_000);
      }
    });

    it('removes the container when its engine client is killed', async () => {
      const { lingerMs, output } = await endHolder((holder) => holder.kill('SIGUSR1'));
      stderrLogger(`container abort test: ${engine.kind} client killed: container gone after ${lingerMs} ms`);
      expect(output).toContain('client ended SIGKILL');
      expect(lingerMs).toBeLessThan(15_000);
    });
  });
}
