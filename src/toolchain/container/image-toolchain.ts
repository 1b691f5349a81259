import { join } from 'node:path';
import { execa } from 'execa';
import { readJsonCache, writeFileAtomic } from '../../util/atomic-file.js';
import { UserError } from '../../util/errors.js';
import {
  compilerIdentity,
  parseToolchainIdentity,
  PRINT_TOOLCHAIN_IDENTITY,
  type ToolchainIdentity,
} from '../compiler.js';
import { engineCommand, type Engine } from './engine.js';
import { containerStateDir, type BuilderImage } from './builder-image.js';
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
  const [gcc, as] = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return gcc && as ? { gcc, as } : undefined;
}

export async function hostToolchain(): Promise<Toolchain> {
  return { gcc: await compilerIdentity('gcc'), as: await compilerIdentity('as') };
}

/** Run SCRIPT (with ARGS as $1...) in a throwaway container of IMAGE; its stdout, or a UserError. */
async function runInImage(
  engine: Engine,
  image: BuilderImage,
  script: string,
  args: readonly string[],
  parse: (stdout: string) => unknown,
): Promise<string> {
  const runArgs = containerRunArgs({
    engine,
    image: image.tag,
    name: containerName(),
    mounts: [],
    env: { LC_ALL: 'C' },
    user: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
  });
  const [binary, fullArgs] = engineCommand(engine, [...runArgs, 'sh', '-c', script, 'sh', ...args]);
  const result = await execa(binary, fullArgs, { reject: false, stdin: 'ignore', timeout: 120_000 });
  if (result.failed || parse(result.stdout) === undefined) {
    throw new UserError(
      `cannot run a ${engine.kind} container of ${image.tag} to check its compiler: ${String(
        result.stderr || result.shortMessage || `exit ${result.exitCode}`,
      )
        .trim()
        .split('\n')
        .slice(-5)
        .join('\n')}`,
      {
        hint:
          engine.kind === 'podman'
            ? `check that \`podman --runtime runc run --rm ${image.tag} true\` works`
            : `check that \`docker run --rm ${image.tag} true\` works`,
      },
    );
  }
  return result.stdout;
}

/** A marker file of per-image facts in the container state directory (an image's tools never change under one image id). */
function imageMarker(engine: Engine, image: BuilderImage, what: string): string {
  return join(containerStateDir(), `${what}-${engine.kind}-${image.id.replace(/^sha256:/, '').slice(0, 16)}.json`);
}

const identities = new Map<string, Promise<ToolchainIdentity>>();

/**
 * The build tools of IMAGE for CC (`CC --version`, its version number, gcc, as and ld): asked
 * from a container once per image id and CC, then read from a marker.
 */
export function imageToolchainIdentity(engine: Engine, image: BuilderImage, cc: string): Promise<ToolchainIdentity> {
  const key = `${engine.kind}:${image.id}:${cc}`;
  let identity = identities.get(key);
  if (!identity) {
    identity = (async () => {
      const marker = imageMarker(engine, image, `toolchain-${cc.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
      const known = await readJsonCache<ToolchainIdentity>(marker);
      if (known) return known;
      const found = parseToolchainIdentity(
        await runInImage(engine, image, PRINT_TOOLCHAIN_IDENTITY, [cc], parseToolchainIdentity),
      )!;
      await writeFileAtomic(marker, JSON.stringify(found) + '\n');
      return found;
    })();
    identities.set(key, identity);
    identity.catch(() => identities.delete(key));
  }
  return identity;
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
  const marker = imageMarker(engine, image, 'toolchain');
  // The image's tools never change under one image id: ask the container once, then the marker.
  let inside = await readJsonCache<Toolchain>(marker);
  if (!inside) {
    inside = parseToolchainLines(await runInImage(engine, image, PRINT_TOOLCHAIN, [], parseToolchainLines))!;
    await writeFileAtomic(marker, JSON.stringify(inside) + '\n');
  }
  const mismatch = toolchainMismatch(inside, await hostToolchain());
  if (mismatch) {
    throw new UserError(
      `the ${engine.kind} build image ${image.tag} has another toolchain than this host (${mismatch}): objects built in it would not match a kernel built on this host`,
      {
        hint: "build the kernel's objects in the builder image of its distribution release (chosen per kernel), or on this host with --container none",
      },
    );
  }
}

/**
 * Refuse an image whose gcc or as is not this host's; checked once per image (and per process).
 * Kernel builds do not need this: their image is the kernel's distribution release's, and its
 * compiler is checked against the kernel's own (toolchain/toolchain-match.ts). It tells whether an
 * image can stand in for this host, byte for byte.
 */
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
