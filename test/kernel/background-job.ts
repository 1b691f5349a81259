/**
 * A helper process of a kernel test run, in the background at nice 19 and the lowest disk priority
 * of its class (./background-test-kernel.ts, ./background-prefetch.ts): unpacking sources and
 * debootstrap write gigabytes, which nice alone leaves competing with the tests' own files.
 * Detached in a process group of its own, its output in a log file, stopped with that group at
 * the end of the run if it still runs.
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

/** Run SCRIPT (a TypeScript file, relative to the repository) with ARGS at nice 19, ionice best-effort 7, output in LOG. */
export function startBackgroundJob(script: string, args: readonly string[], log: string): BackgroundJob {
  mkdirSync(dirname(log), { recursive: true });
  writeFileSync(log, '');
  const tsx = join(REPO, 'node_modules/.bin/tsx');
  const child = execa('ionice', ['-c2', '-n7', 'nice', '-n', '19', tsx, join(REPO, script), ...args], {
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
