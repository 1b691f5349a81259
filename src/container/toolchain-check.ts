import { join } from 'node:path';
import { execa } from 'execa';
import { readJsonCache, writeFileAtomic } from '../util/atomic-file.js';
import { UserError } from '../util/errors.js';
import { compilerIdentity } from '../kbuild/compiler.js';
import { engineCommand, type Engine } from './engine.js';
import { containerStateDir, type BuilderImage } from './image.js';
import { containerName } from './container-runner.js';
import { containerRunArgs } from './run-args.js';

/** The tools whose version decides the bytes of an object: the compiler and the assembler. */
export interface Toolchain {
  gcc: string;
  as: string;
}

const PRINT_TOOLCHAIN = 'gcc --version | head -n 1; as --version | head -n 1';

/** Parse the two lines printed by PRINT_TOOLCHAIN. */
export function parseToolchainLines(text: string): Toolchain | undefined {
  const [gcc, as] = text.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  return gcc && as ? { gcc, as } : undefined;
}

export async function hostToolchain(): Promise<Toolchain> {
  return { gcc: await compilerIdentity('gcc'), as: await compilerIdentity('as') };
}

async function imageToolchain(engine: Engine, image: BuilderImage): Promise<Toolchain> {
  const runArgs = containerRunArgs({
    engine, image: image.tag, name: containerName(), mounts: [], env: { LC_ALL: 'C' }, user: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
  });
  const [binary, args] = engineCommand(engine, [...runArgs, 'sh', '-c', PRINT_TOOLCHAIN]);
  const result = await execa(binary, args, { reject: false, stdin: 'ignore', timeout: 120_000 });
  const toolchain = result.failed ? undefined : parseToolchainLines(result.stdout);
  if (!toolchain) {
    throw new UserError(`cannot run a ${engine.kind} container of ${image.tag} to check its compiler: ${String(result.stderr || result.shortMessage || `exit ${result.exitCode}`).trim().split('\n').slice(-5).join('\n')}`, {
      hint: engine.kind === 'podman' ? 'check that `podman --runtime runc run --rm debian:bookworm true` works' : 'check that `docker run --rm debian:bookworm true` works',
    });
  }
  return toolchain;
}

const checked = new Map<string, Promise<void>>();

/** Why TOOLCHAIN differs from HOST, or undefined when they are the same. */
export function toolchainMismatch(inside: Toolchain, host: Toolchain): string | undefined {
  const differences: string[] = [];
  if (inside.gcc !== host.gcc) differences.push(`gcc: image "${inside.gcc}", host "${host.gcc}"`);
  if (inside.as !== host.as) differences.push(`as: image "${inside.as}", host "${host.as}"`);
  return differences.length > 0 ? differences.join('; ') : undefined;
}

async function checkOnce(engine: Engine, image: BuilderImage): Promise<void> {
  const marker = join(containerStateDir(), `toolchain-${engine.kind}-${image.id.replace(/^sha256:/, '').slice(0, 16)}.json`);
  // The image's tools never change under one image id: ask the container once, then the marker.
  let inside = await readJsonCache<Toolchain>(marker);
  if (!inside) {
    inside = await imageToolchain(engine, image);
    await writeFileAtomic(marker, JSON.stringify(inside) + '\n');
  }
  const mismatch = toolchainMismatch(inside, await hostToolchain());
  if (mismatch) {
    throw new UserError(`the ${engine.kind} build image ${image.tag} has another toolchain than this host (${mismatch}): objects built in it would not match the running kernel`, {
      hint: 'use the host toolchain with --container none, or bring the host to Debian bookworm\'s gcc-12 and binutils',
    });
  }
}

/** Refuse an image whose gcc or as is not the host's; checked once per image (and per process). */
export function checkImageToolchain(engine: Engine, image: BuilderImage): Promise<void> {
  const key = `${engine.kind}:${image.id}`;
  let check = checked.get(key);
  if (!check) {
    check = checkOnce(engine, image);
    checked.set(key, check);
    check.catch(() => checked.delete(key));
  }
  return check;
}
