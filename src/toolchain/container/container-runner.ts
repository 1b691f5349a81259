import { mkdirSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { execa, type Options, type ResultPromise } from 'execa';
import { cacheRoot } from '../../util/cache.js';
import { onInterrupt } from '../../util/interrupt.js';
import type { Runner } from '../runner.js';
import { buildIdentityEnv } from './build-identity.js';
import { engineCall, engineCommand, type Engine } from './engine.js';
import type { BuilderImage } from './builder-image.js';
import { containerRunArgs } from './run-args.js';
import { watchedCommand } from './watchdog.js';

/** Label on every build container: the host process that started it. */
export const OWNER_LABEL = 'tsbuild-patch.owner-pid';

let sequence = 0;

/** A name unique among this machine's containers: process id, a counter and a random part. */
export function containerName(): string {
  sequence += 1;
  return `tsbuild-patch-${process.pid}-${sequence}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Kill and remove a container by name, at once (no grace period); quiet if it is already gone. */
export async function removeContainer(engine: Engine, name: string): Promise<void> {
  const args = engine.kind === 'podman' ? ['rm', '--force', '--time', '0', name] : ['rm', '--force', name];
  await engineCall(engine, args, { timeout: 30_000 });
}

export interface ContainerRunnerOptions {
  engine: Engine;
  image: BuilderImage;
  /** Host directories mounted in every container besides the cache root and the temp dir. */
  mounts?: readonly string[];
}

/**
 * A Runner that runs each command in a fresh build container. The cache root, the OS temp dir,
 * the working directory and any extra mounts appear at their host paths; the host name and the
 * kbuild identity variables are the host's, so a kernel built inside records the same builder.
 * A container never outlives its command's owner: killing the engine client removes it, an
 * interrupt of this process removes it before exiting, and the watchdog inside ends it when
 * this process dies.
 */
export function createContainerRunner(options: ContainerRunnerOptions): Runner {
  const { engine, image } = options;
  const root = cacheRoot();
  mkdirSync(root, { recursive: true });
  const alwaysMounted = [root, tmpdir(), ...(options.mounts ?? [])];
  const user = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  const identity = buildIdentityEnv(process.env, userInfo().username);
  return {
    kind: engine.kind,
    description: `${engine.kind} (${image.tag})`,
    exec(file, args, execOptions) {
      const name = containerName();
      const runArgs = containerRunArgs({
        engine,
        image: image.tag,
        name,
        user,
        hostname: hostname(),
        mounts: [...alwaysMounted, ...(execOptions.cwd ? [execOptions.cwd] : []), ...(execOptions.mounts ?? [])],
        ...(execOptions.cwd ? { cwd: execOptions.cwd } : {}),
        env: { ...identity, ...execOptions.env },
        labels: { [OWNER_LABEL]: String(process.pid) },
      });
      const [binary, fullArgs] = engineCommand(engine, [...runArgs, ...watchedCommand(file, args)]);
      const child = execa(binary, fullArgs, {
        reject: false,
        // Never written and never closed while this process lives: its end is the watchdog's signal.
        stdin: 'pipe',
        all: execOptions.all ?? true,
        buffer: false,
      });
      const unregister = onInterrupt(() => removeContainer(engine, name));
      child.once('exit', (_code, signal) => {
        unregister();
        // A client killed by a signal leaves its container behind (the engine does not tie the
        // two together): remove it.
        if (signal) void removeContainer(engine, name);
      });
      return child as unknown as ResultPromise<Options>;
    },
  };
}
