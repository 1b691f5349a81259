import { createWriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { cacheRoot } from '../../util/cache.js';
import { UserError } from '../../util/errors.js';
import { sha256 } from '../../util/hash.js';
import { withDirLock } from '../../util/lock.js';
import type { Logger } from '../../util/log.js';
import { hostDistribution, type DistroRelease } from '../../kernel/distributions.js';
import { BUILD_PACKAGES_FILE, distroPackagesFile } from '../host-packages.js';
import { ensureBaseImage, imageExists, type BaseSuite } from './base-image.js';
import { engineCall, engineCommand, type Engine } from './engine.js';

export const IMAGE_REPOSITORY = 'tsbuild-patch-builder';

/** docker/ at the package root (same depth from src/toolchain/container and dist/toolchain/container). */
export function dockerContextDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docker');
}

/**
 * What a builder image is made from: the build context's Dockerfile and the files it copies in,
 * the build arguments, and the Debian suite its FROM names (seeded when missing).
 */
export interface BuilderRecipe {
  /** The build context directory (docker/ for the distributions' builders). */
  context: string;
  /** Files of the context the image is made from: the Dockerfile first, then what it copies in. */
  files: readonly string[];
  /** Whether a copied file may be missing (a recipe of the caller's own, e.g. a test's context). */
  optionalCopies: boolean;
  /** `--build-arg NAME=VALUE` of the build. */
  buildArgs: Readonly<Record<string, string>>;
  base: BaseSuite;
}

/**
 * The builder image of DISTRO: docker/Dockerfile with SUITE=<its builder suite>, which installs
 * build-packages.txt and that suite's build-packages.<suite>.txt.
 */
export function builderRecipe(distro: DistroRelease, context = dockerContextDir()): BuilderRecipe {
  return {
    context,
    files: ['Dockerfile', basename(BUILD_PACKAGES_FILE), basename(distroPackagesFile(distro))],
    optionalCopies: false,
    buildArgs: { SUITE: distro.builder.suite, PACKAGES: distro.builder.packages },
    base: { suite: distro.builder.suite, keyring: distro.archive.keyring },
  };
}

/** A recipe of the caller's own: CONTEXT's Dockerfile (and build-packages.txt, if there), no build arguments, FROM this host's distribution's suite. */
export function contextRecipe(context: string): BuilderRecipe {
  const host = hostDistribution();
  return {
    context,
    files: ['Dockerfile', basename(BUILD_PACKAGES_FILE)],
    optionalCopies: true,
    buildArgs: {},
    base: { suite: host.builder.suite, keyring: host.archive.keyring },
  };
}

/**
 * The image's tag names the content of its recipe (the Dockerfile, the files it copies in and
 * the build arguments): a changed Dockerfile, package list or suite never reuses a stale image.
 */
export function builderImageTag(dockerfile: string | Buffer, ...copied: (string | Buffer)[]): string {
  const content =
    copied.length === 0 ? dockerfile : Buffer.concat([dockerfile, ...copied].map((part) => Buffer.from(part)));
  return `${IMAGE_REPOSITORY}:${sha256(content).slice(0, 12)}`;
}

/** The build arguments as the tag hashes them (nothing when there are none). */
function buildArgsText(args: Readonly<Record<string, string>>): string[] {
  const names = Object.keys(args).sort();
  return names.length === 0 ? [] : [names.map((name) => `--build-arg ${name}=${args[name]}\n`).join('')];
}

/** The recipe's files: the Dockerfile (required) and the copied files (required, or those that exist). */
async function readRecipe(recipe: BuilderRecipe): Promise<Buffer[]> {
  const { context } = recipe;
  const dockerfile = await readFile(join(context, recipe.files[0]!)).catch((error: Error) => {
    throw new UserError(`cannot read the build image recipe ${join(context, recipe.files[0]!)}: ${error.message}`);
  });
  const copied: Buffer[] = [];
  for (const name of recipe.files.slice(1)) {
    const text = await readFile(join(context, name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' && recipe.optionalCopies) return undefined;
      throw new UserError(`cannot read ${join(context, name)}: ${error.message}`);
    });
    if (text) copied.push(text);
  }
  return [dockerfile, ...copied];
}

/** The tag of RECIPE's image (reads its files). */
export async function recipeTag(recipe: BuilderRecipe): Promise<string> {
  const [dockerfile, ...copied] = await readRecipe(recipe);
  return builderImageTag(dockerfile!, ...copied, ...buildArgsText(recipe.buildArgs));
}

/** Where per-engine container state (locks, build logs, check markers) lives. */
export function containerStateDir(): string {
  return join(cacheRoot(), 'containers');
}

export interface BuilderImage {
  tag: string;
  /** The engine's image id: changes when the image is rebuilt under the same tag. */
  id: string;
}

async function imageId(engine: Engine, tag: string): Promise<string> {
  const result = await engineCall(engine, ['image', 'inspect', '--format', '{{.Id}}', tag]);
  if (result.failed) throw new UserError(`${engine.kind} built ${tag} but cannot inspect it: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

async function buildImage(engine: Engine, tag: string, recipe: BuilderRecipe, log: Logger): Promise<void> {
  const { context } = recipe;
  const dockerfile = join(context, recipe.files[0]!);
  const logFile = join(containerStateDir(), `build-${tag.replace(/[^A-Za-z0-9_.-]/g, '_')}.log`);
  const buildArgs = Object.entries(recipe.buildArgs).flatMap(([name, value]) => ['--build-arg', `${name}=${value}`]);
  log(
    `building the ${engine.kind} image ${tag} from ${dockerfile}${buildArgs.length > 0 ? ` (${buildArgs.filter((_, i) => i % 2 === 1).join(' ')})` : ''} (apt-get inside, a few minutes once; log: ${logFile})`,
  );
  const started = Date.now();
  // Host networking for the build only: apt reaches the mirror without a bridge setup.
  const [binary, args] = engineCommand(engine, [
    'build',
    '--network',
    'host',
    ...buildArgs,
    '-t',
    tag,
    '-f',
    dockerfile,
    context,
  ]);
  const child = execa(binary, args, {
    reject: false,
    stdin: 'ignore',
    all: true,
    buffer: false,
    // docker's CLI without the buildx plugin refuses BuildKit builds; the classic builder is enough.
    env: engine.kind === 'docker' ? { DOCKER_BUILDKIT: '0' } : {},
  });
  const out = createWriteStream(logFile);
  child.all?.pipe(out);
  const result = await child;
  await new Promise<void>((done) => out.end(done));
  if (result.failed) {
    const text = await readFile(logFile, 'utf8').catch(() => '');
    throw new UserError(
      `building the ${engine.kind} image ${tag} failed (${result.shortMessage}); last lines of ${logFile}:\n${text.trimEnd().split('\n').slice(-20).join('\n')}`,
    );
  }
  log(`image ${tag} built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/**
 * The build image for ENGINE made from RECIPE (default: the builder of this host's distribution
 * release; a directory: a Dockerfile of the caller's), built if no image of its current content
 * exists (seeding its base debian:<suite> first when needed). Serialized across processes by a
 * lock, and rechecked under it, so two racing runs build it once.
 */
export async function ensureBuilderImage(
  engine: Engine,
  log: Logger,
  recipe: BuilderRecipe | string = builderRecipe(hostDistribution()),
): Promise<BuilderImage> {
  const made = typeof recipe === 'string' ? contextRecipe(recipe) : recipe;
  const tag = await recipeTag(made);
  if (await imageExists(engine, tag)) return { tag, id: await imageId(engine, tag) };
  await mkdir(containerStateDir(), { recursive: true });
  const lock = join(containerStateDir(), `${engine.kind}-image.lock`);
  await withDirLock(
    lock,
    (pid) => log(`waiting for process ${pid}, which is preparing the ${engine.kind} build image`),
    async () => {
      if (await imageExists(engine, tag)) return;
      await ensureBaseImage(engine, made.base, log);
      await buildImage(engine, tag, made, log);
    },
  );
  return { tag, id: await imageId(engine, tag) };
}
