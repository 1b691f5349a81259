import { UserError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { hostRunner, type Runner } from '../kbuild/runner.js';
import { createContainerRunner } from './container-runner.js';
import { DOCKER, PODMAN, type Engine } from './engine.js';
import { ensureBuilderImage } from './image.js';
import { probeEngine } from './probe.js';
import { checkImageToolchain } from './toolchain-check.js';

export const CONTAINER_CHOICES = ['auto', 'docker', 'podman', 'none'] as const;
export type ContainerChoice = (typeof CONTAINER_CHOICES)[number];

export interface SelectRunnerOptions {
  /** Host directories every container mounts besides the cache root and the temp dir. */
  mounts?: readonly string[];
  /** The engines `auto` tries, in order (podman, then docker). */
  autoOrder?: readonly Engine[];
}

const prepared = new Map<string, Promise<Runner>>();

/** The engine's build image, built if needed, with the host's toolchain checked. */
function containerRunner(engine: Engine, log: Logger, options: SelectRunnerOptions): Promise<Runner> {
  const key = JSON.stringify([engine.kind, options.mounts ?? []]);
  let runner = prepared.get(key);
  if (!runner) {
    runner = (async () => {
      const image = await ensureBuilderImage(engine, log);
      await checkImageToolchain(engine, image);
      return createContainerRunner({ engine, image, ...(options.mounts ? { mounts: options.mounts } : {}) });
    })();
    prepared.set(key, runner);
    runner.catch(() => prepared.delete(key));
  }
  return runner;
}

/**
 * Where kernel builds run. `none`: the host. `podman`/`docker`: that engine, or a UserError
 * saying what is missing. `auto`: podman if it works, else docker, else the host (logged).
 */
export async function selectRunner(choice: ContainerChoice, log: Logger, options: SelectRunnerOptions = {}): Promise<Runner> {
  if (choice === 'none') return hostRunner;
  if (choice === 'podman' || choice === 'docker') {
    const engine = choice === 'podman' ? PODMAN : DOCKER;
    const probe = await probeEngine(engine);
    if (!probe.ok) {
      throw new UserError(`--container ${choice}: ${engine.kind} cannot be used: ${probe.reason}`, {
        hint: `${engine.installHint}; or choose --container auto or none`,
      });
    }
    return containerRunner(engine, log, options);
  }
  const reasons: string[] = [];
  for (const engine of options.autoOrder ?? [PODMAN, DOCKER]) {
    const probe = await probeEngine(engine);
    if (probe.ok) return containerRunner(engine, log, options);
    reasons.push(`${engine.kind}: ${probe.reason}`);
  }
  log(`no working container engine (${reasons.join('; ')}): building on the host`);
  return hostRunner;
}
