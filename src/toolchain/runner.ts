import { execa, type Options, type ResultPromise } from 'execa';
import type { DistroRelease } from '../kernel/distributions.js';
import { onInterrupt } from '../util/interrupt.js';
import type { ToolchainIdentity } from './compiler.js';

/**
 * Where build commands run: on the host, or inside a build container with the cache and the
 * work directories mounted at their host paths (a built kernel tree cannot move).
 */
export interface Runner {
  readonly kind: 'host' | 'docker' | 'podman';
  /** Describes the runner for logs and reports, e.g. "podman (tsbuild-patch-builder:1a2b)". */
  readonly description: string;
  exec(file: string, args: readonly string[], options: RunnerExecOptions): ResultPromise<Options>;
  /**
   * The build tools where this runner runs them, for CC (what the kernel's compiler is checked
   * against). Absent: the host's.
   */
  toolchain?(cc: string): Promise<ToolchainIdentity>;
  /**
   * This runner for the kernels of DISTRO: a container engine's runner on DISTRO's builder image
   * (made if needed). Absent: the runner has the same tools for every kernel (the host).
   */
  forDistribution?(distro: DistroRelease): Promise<Runner>;
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

/** How long a stopped command's process group may take to end before it is killed. */
const STOP_GRACE_MS = 10_000;

/**
 * Commands run in a process group of their own: when this process is interrupted (Ctrl-C, or a
 * `kill` aimed at it alone), the whole group (make and every compiler under it) is stopped and
 * waited for before any other cleanup, so nothing writes into a tree after it was restored.
 */
export const hostRunner: Runner = {
  kind: 'host',
  description: 'host',
  exec(file, args, options) {
    const child = execa(file, args, {
      ...(options.cwd ? { cwd: options.cwd } : {}),
      env: options.env,
      extendEnv: true,
      reject: false,
      stdin: 'ignore',
      all: options.all ?? true,
      buffer: false,
      detached: true,
    });
    const unregister = onInterrupt(() => stopGroup(child));
    child.once('exit', () => unregister());
    return child as unknown as ResultPromise<Options>;
  },
};

async function stopGroup(child: ResultPromise<Options>): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null) return;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  };
  signalGroup('SIGTERM');
  const timer = setTimeout(() => signalGroup('SIGKILL'), STOP_GRACE_MS);
  await child.catch(() => undefined);
  clearTimeout(timer);
  // make has exited; a compiler it started may still be finishing in the group.
  signalGroup('SIGKILL');
}
