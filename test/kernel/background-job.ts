/**
 * A helper process of a kernel test run, in the background at nice 19 (./background-test-kernel.ts,
 * ./background-prefetch.ts): detached in a process group of its own, its output in a log file,
 * stopped with that group at the end of the run if it still runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface BackgroundJob {
  log: string;
  /** Stop the job if it still runs. */
  stop(): Promise<void>;
}

/** Run SCRIPT (a TypeScript file, relative to the repository) with ARGS at nice 19, output in LOG. */
export function startBackgroundJob(script: string, args: readonly string[], log: string): BackgroundJob {
  mkdirSync(dirname(log), { recursive: true });
  writeFileSync(log, '');
  const child = execa('nice', ['-n', '19', join(REPO, 'node_modules/.bin/tsx'), join(REPO, script), ...args], {
    cwd: REPO,
    detached: true,
    stdin: 'ignore',
    stdout: { file: log, append: true },
    stderr: { file: log, append: true },
    reject: false,
  });
  let finished = false;
  void child.then(() => {
    finished = true;
  });
  return {
    log,
    async stop() {
      if (finished || child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        return;
      }
      await child;
    },
  };
}
