import { execa, type Options, type ResultPromise } from 'execa';

export type EngineKind = 'podman' | 'docker';

/**
 * What differs between the two container engines: the command, the flags every call needs,
 * the flags `run` needs on these machines, and how to tell the user to install it.
 */
export interface Engine {
  readonly kind: EngineKind;
  readonly binary: string;
  /** Flags before the subcommand, for every call (podman: the OCI runtime that works here). */
  readonly globalArgs: readonly string[];
  /** Flags of `run` that every build container gets (before the image name). */
  readonly runArgs: readonly string[];
  /** The repository under which `FROM debian:<suite>` finds a locally seeded base image (see baseImageName). */
  readonly baseRepository: string;
  /** How to get the engine working, for error messages. */
  readonly installHint: string;
}

export const PODMAN: Engine = {
  kind: 'podman',
  binary: 'podman',
  // Debian's podman 4.3 defaults to crun, which fails on these hosts ("cgroups in hybrid mode
  // not supported"); runc works. Without explicit limits the container gets none it can raise.
  globalArgs: ['--runtime', 'runc'],
  runArgs: ['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=32768:32768'],
  baseRepository: 'docker.io/library/debian',
  installHint: 'apt-get install podman runc',
};

export const DOCKER: Engine = {
  kind: 'docker',
  binary: 'docker',
  globalArgs: [],
  runArgs: [],
  baseRepository: 'debian',
  installHint: 'apt-get install docker.io, then start the daemon (systemctl start docker, or dockerd &)',
};

/** The name under which ENGINE's `FROM debian:<SUITE>` finds a locally seeded base image. */
export function baseImageName(engine: Engine, suite: string): string {
  return `${engine.baseRepository}:${suite}`;
}

export function engineOf(kind: EngineKind): Engine {
  return kind === 'podman' ? PODMAN : DOCKER;
}

export interface EngineCallOptions {
  /** Kill the call after this many milliseconds. */
  timeout?: number;
  stdin?: 'ignore' | 'pipe';
}

/** Run an engine subcommand to completion (never rejects: callers read `failed`). */
export function engineCall(engine: Engine, args: readonly string[], options: EngineCallOptions = {}) {
  return execa(engine.binary, [...engine.globalArgs, ...args], {
    reject: false,
    stdin: options.stdin ?? 'ignore',
    all: true,
    ...(options.timeout ? { timeout: options.timeout } : {}),
  });
}

/** The engine command line for ARGS, for a streamed subprocess the caller manages. */
export function engineCommand(engine: Engine, args: readonly string[]): [string, string[]] {
  return [engine.binary, [...engine.globalArgs, ...args]];
}

export type EngineSubprocess = ResultPromise<Options>;
