import { isAbsolute, relative, resolve } from 'node:path';
import { UserError } from '../../util/errors.js';
import type { Engine } from './engine.js';

/**
 * Host directories to mount at the same paths: absolute, without duplicates, and without those
 * already inside another mounted directory (one bind mount covers its subtree).
 */
export function sameMountPaths(paths: Iterable<string>): string[] {
  const unique = [...new Set([...paths].map((path) => resolve(path)))].sort();
  const kept: string[] = [];
  for (const path of unique) {
    if (path === '/')
      throw new UserError('refusing to mount the host root / into a build container (is the working directory /?)');
    const covered = kept.some((outer) => {
      const inside = relative(outer, path);
      return inside === '' || (!inside.startsWith('..') && !isAbsolute(inside));
    });
    if (!covered) kept.push(path);
  }
  return kept;
}

/** `-e NAME=VALUE` for each variable with a value; undefined ones are left out (the image's own environment stays). */
export function envArgs(env: Record<string, string | undefined>): string[] {
  const args: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid environment variable name '${name}'`);
    args.push('-e', `${name}=${value}`);
  }
  return args;
}

export interface RunSpec {
  engine: Engine;
  image: string;
  /** Unique name, so the container can be killed by name when the run is aborted. */
  name: string;
  /** Host directories mounted read-write at the same paths. */
  mounts: readonly string[];
  cwd?: string;
  env: Record<string, string | undefined>;
  /** The host user; docker runs as it, rootless podman maps it with keep-id. */
  user: { uid: number; gid: number };
  /** The container's host name: kbuild records `uname -n` in the kernel (compile.h). */
  hostname?: string;
  /** Labels to find the container again (e.g. the owning process). */
  labels?: Record<string, string>;
}

/** The user flag: files written in mounted trees must belong to the host user. */
export function userArgs(engine: Engine, user: { uid: number; gid: number }): string[] {
  if (engine.kind === 'docker') return ['--user', `${user.uid}:${user.gid}`];
  // Rootful podman runs as root, which is the host user; rootless podman maps the user to root
  // inside unless asked to keep its id.
  return user.uid === 0 ? [] : ['--userns', 'keep-id'];
}

/**
 * Arguments of `<engine> run` (after the engine's global flags) for a build command: removed
 * when done, named, stdin kept open (the watchdog inside ends the command when it closes), no
 * network, the host's name, mounts at host paths, working directory, environment, user. All flags come before
 * the image name.
 */
export function containerRunArgs(spec: RunSpec): string[] {
  const args = ['run', '--rm', '--interactive', '--name', spec.name, '--network', 'none', ...spec.engine.runArgs];
  if (spec.hostname) args.push('--hostname', spec.hostname);
  for (const [key, value] of Object.entries(spec.labels ?? {})) args.push('--label', `${key}=${value}`);
  args.push(...userArgs(spec.engine, spec.user));
  for (const path of sameMountPaths(spec.mounts)) args.push('--volume', `${path}:${path}`);
  if (spec.cwd) args.push('--workdir', resolve(spec.cwd));
  args.push(...envArgs(spec.env));
  args.push(spec.image);
  return args;
}
