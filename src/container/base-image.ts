import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { cacheRoot } from '../util/cache.js';
import { UserError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { configuredAptSources, debianMirrorFrom } from './debian-mirror.js';
import { engineCall, engineCommand, type Engine } from './engine.js';

/** The Debian release of the build image: the one whose gcc-12 built the target kernel. */
export const BASE_SUITE = 'bookworm';

function tail(text: unknown, lines = 15): string {
  return String(text ?? '').trimEnd().split('\n').slice(-lines).join('\n');
}

export async function imageExists(engine: Engine, name: string): Promise<boolean> {
  const result = await engineCall(engine, ['image', 'inspect', '--format', '{{.Id}}', name]);
  return !result.failed;
}

/**
 * Make `debian:bookworm` available to ENGINE without a registry: bootstrap a minimal root file
 * system from the machine's own Debian mirror and import it under the name `FROM` looks for.
 * Call under the image lock (see image.ts).
 */
export async function ensureBaseImage(engine: Engine, log: Logger): Promise<void> {
  if (await imageExists(engine, engine.baseImage)) return;
  if (process.getuid?.() !== 0) {
    throw new UserError(`the base image ${engine.baseImage} is missing for ${engine.kind} and seeding it with debootstrap needs root`, {
      hint: `run once as root, or provide the image yourself (${engine.binary} pull ${engine.baseImage}), or use --container none`,
    });
  }
  const mirror = debianMirrorFrom(await configuredAptSources(), BASE_SUITE);
  if (!mirror) {
    throw new UserError(`cannot seed ${engine.baseImage}: no '${BASE_SUITE} main' source in /etc/apt/sources.list or /etc/apt/sources.list.d/`, {
      hint: 'the build image is bootstrapped from the Debian mirror apt uses on this machine',
    });
  }
  const rootfs = join(cacheRoot(), 'containers', `rootfs-${process.pid}`);
  await rm(rootfs, { recursive: true, force: true });
  await mkdir(rootfs, { recursive: true });
  try {
    log(`seeding the ${engine.kind} base image ${engine.baseImage}: debootstrap ${BASE_SUITE} from ${mirror} (about 30 s)`);
    const started = Date.now();
    const bootstrap = await execa('debootstrap', ['--variant=minbase', BASE_SUITE, rootfs, mirror], {
      reject: false, stdin: 'ignore', all: true,
    });
    if (bootstrap.failed) {
      const missing = (bootstrap as { code?: string }).code === 'ENOENT';
      throw new UserError(
        missing ? 'cannot seed the base image: debootstrap is not installed' : `debootstrap ${BASE_SUITE} from ${mirror} failed:\n${tail(bootstrap.all)}`,
        { hint: missing ? 'apt-get install debootstrap' : 'check that the mirror is reachable (apt-get update)' },
      );
    }
    const [binary, args] = engineCommand(engine, ['import', '-', engine.baseImage]);
    try {
      await execa('tar', ['-C', rootfs, '-c', '.'], { stdin: 'ignore', buffer: false }).pipe(binary, args, { all: true });
    } catch (error) {
      const failure = error as { all?: string; stderr?: string; shortMessage?: string };
      throw new UserError(`importing the bootstrapped root into ${engine.kind} failed:\n${tail(failure.all ?? failure.stderr ?? failure.shortMessage)}`);
    }
    log(`base image ${engine.baseImage} seeded in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
}
