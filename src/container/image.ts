import { createWriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { cacheRoot } from '../util/cache.js';
import { UserError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { withDirLock } from '../util/lock.js';
import type { Logger } from '../util/log.js';
import { ensureBaseImage, imageExists } from './base-image.js';
import { engineCall, engineCommand, type Engine } from './engine.js';

export const IMAGE_REPOSITORY = 'tsbuild-patch-builder';

/** docker/ at the package root (same depth from src/container and dist/container). */
export function dockerContextDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docker');
}

/** The files of the build context the image is made from: the Dockerfile first, then what it copies. */
export const RECIPE_FILES = ['Dockerfile', 'build-packages.txt'] as const;

/**
 * The image's tag names the content of its recipe (the Dockerfile and the files it copies in):
 * a changed Dockerfile or package list never reuses a stale image.
 */
export function builderImageTag(dockerfile: string | Buffer, ...copied: (string | Buffer)[]): string {
  const content = copied.length === 0 ? dockerfile : Buffer.concat([dockerfile, ...copied].map((part) => Buffer.from(part)));
  return `${IMAGE_REPOSITORY}:${sha256(content).slice(0, 12)}`;
}

/** The recipe's files in CONTEXT: the Dockerfile (required) and the copied files that exist. */
async function readRecipe(context: string): Promise<Buffer[]> {
  const dockerfile = await readFile(join(context, 'Dockerfile')).catch((error: Error) => {
    throw new UserError(`cannot read the build image recipe ${join(context, 'Dockerfile')}: ${error.message}`);
  });
  const copied: Buffer[] = [];
  for (const name of RECIPE_FILES.slice(1)) {
    const text = await readFile(join(context, name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw new UserError(`cannot read ${join(context, name)}: ${error.message}`);
    });
    if (text) copied.push(text);
  }
  return [dockerfile, ...copied];
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

async function buildImage(engine: Engine, tag: string, context: string, log: Logger): Promise<void> {
  const logFile = join(containerStateDir(), `build-${tag.replace(/[^A-Za-z0-9_.-]/g, '_')}.log`);
  log(`building the ${engine.kind} image ${tag} from ${join(context, 'Dockerfile')} (apt-get inside, a few minutes once; log: ${logFile})`);
  const started = Date.now();
  // Host networking for the build only: apt reaches the mirror without a bridge setup.
  const [binary, args] = engineCommand(engine, ['build', '--network', 'host', '-t', tag, '-f', join(context, 'Dockerfile'), context]);
  const child = execa(binary, args, {
    reject: false, stdin: 'ignore', all: true, buffer: false,
    // docker's CLI without the buildx plugin refuses BuildKit builds; the classic builder is enough.
    env: engine.kind === 'docker' ? { DOCKER_BUILDKIT: '0' } : {},
  });
  const out = createWriteStream(logFile);
  child.all?.pipe(out);
  const result = await child;
  await new Promise<void>((done) => out.end(done));
  if (result.failed) {
    const text = await readFile(logFile, 'utf8').catch(() => '');
    throw new UserError(`building the ${engine.kind} image ${tag} failed (${result.shortMessage}); last lines of ${logFile}:\n${text.trimEnd().split('\n').slice(-20).join('\n')}`);
  }
  log(`image ${tag} built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/**
 * The build image for ENGINE, built from docker/Dockerfile if no image of its current content
 * exists (seeding debian:bookworm first when needed). Serialized across processes by a lock,
 * and rechecked under it, so two racing runs build it once.
 */
export async function ensureBuilderImage(engine: Engine, log: Logger, context = dockerContextDir()): Promise<BuilderImage> {
  const [dockerfile, ...copied] = await readRecipe(context);
  const tag = builderImageTag(dockerfile!, ...copied);
  if (await imageExists(engine, tag)) return { tag, id: await imageId(engine, tag) };
  await mkdir(containerStateDir(), { recursive: true });
  const lock = join(containerStateDir(), `${engine.kind}-image.lock`);
  await withDirLock(lock, (pid) => log(`waiting for process ${pid}, which is preparing the ${engine.kind} build image`), async () => {
    if (await imageExists(engine, tag)) return;
    await ensureBaseImage(engine, log);
    await buildImage(engine, tag, context, log);
  });
  return { tag, id: await imageId(engine, tag) };
}
