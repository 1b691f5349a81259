import { execa, type Options, type ResultPromise } from 'execa';

/**
 * Where build commands run: on the host, or inside a build container with the cache and the
 * work directories mounted at their host paths (a built kernel tree cannot move).
 */
export interface Runner {
  readonly kind: 'host' | 'docker' | 'podman';
  /** Describes the runner for logs and reports, e.g. "podman (tsbuild-patch-builder:1a2b)". */
  readonly description: string;
  exec(file: string, args: readonly string[], options: RunnerExecOptions): ResultPromise<Options>;
}

export interface RunnerExecOptions {
  cwd?: string;
  /** Variables to set (string) or to remove (undefined) for the command. */
  env: Record<string, string | undefined>;
  all?: boolean;
  /**
   * Host directories the command reads or writes besides the cache root, the OS temp dir and
   * cwd (a container runner mounts them at the same paths; the host runner needs nothing).
   */
  mounts?: readonly string[];
}

export const hostRunner: Runner = {
  kind: 'host',
  description: 'host',
  exec(file, args, options) {
    return execa(file, args, {
      ...(options.cwd ? { cwd: options.cwd } : {}),
      env: options.env,
      extendEnv: true,
      reject: false,
      stdin: 'ignore',
      all: options.all ?? true,
      buffer: false,
    }) as unknown as ResultPromise<Options>;
  },
};
