import { hostDistribution, type DistroRelease } from '../../kernel/distributions.js';
import { UserError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { hostRunner, type Runner } from '../runner.js';
import { createContainerRunner } from './container-runner.js';
import { DOCKER, PODMAN, type Engine } from './engine.js';
import { builderRecipe, ensureBuilderImage } from './builder-image.js';
import { probeEngine } from './probe.js';
import { imageToolchainIdentity } from './image-toolchain.js';

export const CONTAINER_CHOICES = ['auto', 'docker', 'podman', 'none'] as const;
export type ContainerChoice = (typeof CONTAINER_CHOICES)[number];

export interface SelectRunnerOptions {
  /** Host directories every container mounts besides the cache root and the temp dir. */
  mounts?: readonly string[];
  /** The engines `auto` tries, in order (podman, then docker). */
  autoOrder?: readonly Engine[];
}

const prepared = new Map<string, Promise<Runner>>();

/**
 * ENGINE's runner on DISTRO's builder image, built if needed. Its toolchain is the image's (asked
 * once per image), and it hands out the runner of any other distribution release on the same
 * engine (each kernel is built in its own distribution's image; see toolchain/builder-choice.ts).
 */
function containerRunner(
  engine: Engine,
  distro: DistroRelease,
  log: Logger,
  options: SelectRunnerOptions,
): Promise<Runner> {
  const key = JSON.stringify([engine.kind, distro.id, options.mounts ?? []]);
  let runner = prepared.get(key);
  if (!runner) {
    runner = (async (): Promise<Runner> => {
      const image = await ensureBuilderImage(engine, log, builderRecipe(distro));
      return {
        ...createContainerRunner({ engine, image, ...(options.mounts ? { mounts: options.mounts } : {}) }),
        toolchain: (cc) => imageToolchainIdentity(engine, image, cc),
        forDistribution: (other) => containerRunner(engine, other, log, options),
      };
    })();
    prepared.set(key, runner);
    runner.catch(() => prepared.delete(key));
  }
  return runner;
}

/**
 * Where kernel builds run. `none`: the host. `podman`/`docker`: that engine, or a UserError
 * saying what is missing. `auto`: podman if it works, else docker, else the host (logged). An
 * engine's runner starts on the builder image of this host's distribution release; a kernel's
 * tree asks it for the runner of the kernel's own release (Runner.forDistribution).
 */
export async function selectRunner(
  choice: ContainerChoice,
  log: Logger,
  options: SelectRunnerOptions = {},
): Promise<Runner> {
  if (choice === 'none') return hostRunner;
  if (choice === 'podman' || choice === 'docker') {
    const engine = choice === 'podman' ? PODMAN : DOCKER;
    const probe = await probeEngine(engine);
    if (!probe.ok) {
      throw new UserError(`--container ${choice}: ${engine.kind} cannot be used: ${probe.reason}`, {
        hint: `${engine.installHint}; or choose --container auto or none`,
      });
    }
    return containerRunner(engine, hostDistribution(), log, options);
  }
  const reasons: string[] = [];
  for (const engine of options.autoOrder ?? [PODMAN, DOCKER]) {
    const probe = await probeEngine(engine);
    if (probe.ok) return containerRunner(engine, hostDistribution(), log, options);
    reasons.push(`${engine.kind}: ${probe.reason}`);
  }
  log(`no working container engine (${reasons.join('; ')}): building on the host`);
  return hostRunner;
}
