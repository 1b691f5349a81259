import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { cacheRoot } from '../../util/cache.js';
import { UserError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { configuredAptSources, debianMirrorFor } from './debian-mirror.js';
import { baseImageName, engineCall, engineCommand, type Engine } from './engine.js';

/** The Debian suite a builder image is made from (`FROM debian:<suite>`), and the keyring its archive is signed with. */
export interface BaseSuite {
  suite: string;
  keyring?: string;
}

function tail(text: unknown, lines = 15): string {
  return String(text ?? '')
    .trimEnd()
    .split('\n')
    .slice(-lines)
    .join('\n');
}

export async function imageExists(engine: Engine, name: string): Promise<boolean> {
  const result = await engineCall(engine, ['image', 'inspect', '--format', '{{.Id}}', name]);
  return !result.failed;
}

/**
 * Make `debian:<suite>` available to ENGINE without a registry: bootstrap a minimal root file
 * system from a Debian mirror of the machine's apt sources (the suite's own, else the one the
 * machine uses) and import it under the name `FROM` looks for. Call under the image lock (see
 * image.ts).
 */
export async function ensureBaseImage(engine: Engine, base: BaseSuite, log: Logger): Promise<void> {
  const { suite } = base;
  const name = baseImageName(engine, suite);
  if (await imageExists(engine, name)) return;
  if (process.getuid?.() !== 0) {
    throw new UserError(
      `the base image ${name} is missing for ${engine.kind} and seeding it with debootstrap needs root`,
      {
        hint: `run once as root, or provide the image yourself (${engine.binary} pull ${name}), or use --container none`,
      },
    );
  }
  const mirror = debianMirrorFor(await configuredAptSources(), suite);
  if (!mirror) {
    throw new UserError(
      `cannot seed ${name}: no '${suite} main' source (nor any Debian mirror) in /etc/apt/sources.list or /etc/apt/sources.list.d/`,
      {
        hint: 'the build image is bootstrapped from the Debian mirror apt uses on this machine',
      },
    );
  }
  const rootfs = join(cacheRoot(), 'containers', `rootfs-${process.pid}`);
  await rm(rootfs, { recursive: true, force: true });
  await mkdir(rootfs, { recursive: true });
  try {
    log(`seeding the ${engine.kind} base image ${name}: debootstrap ${suite} from ${mirror} (about 30 s)`);
    const started = Date.now();
    const keyring = base.keyring ? [`--keyring=${base.keyring}`] : [];
    const bootstrap = await execa('debootstrap', ['--variant=minbase', ...keyring, suite, rootfs, mirror], {
      reject: false,
      stdin: 'ignore',
      all: true,
    });
    if (bootstrap.failed) {
      const missing = (bootstrap as { code?: string }).code === 'ENOENT';
      throw new UserError(
        missing
          ? 'cannot seed the base image: debootstrap is not installed'
          : `debootstrap ${suite} from ${mirror} failed:\n${tail(bootstrap.all)}`,
        {
          hint: missing
            ? 'apt-get install debootstrap'
            : 'check that the mirror is reachable (apt-get update), and that debootstrap and debian-archive-keyring know this release',
        },
      );
    }
    const [binary, args] = engineCommand(engine, ['import', '-', name]);
    try {
      await execa('tar', ['-C', rootfs, '-c', '.'], { stdin: 'ignore', buffer: false }).pipe(binary, args, {
        all: true,
      });
    } catch (error) {
      const failure = error as { all?: string; stderr?: string; shortMessage?: string };
      throw new UserError(
        `importing the bootstrapped root into ${engine.kind} failed:\n${tail(failure.all ?? failure.stderr ?? failure.shortMessage)}`,
      );
    }
    log(`base image ${name} seeded in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
}
