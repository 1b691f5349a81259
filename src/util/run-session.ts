import type { Logger } from './log.js';
import type { StageHooks } from './progress.js';
import { withRunContext, type BuildProgress, type RunContext } from './run-context.js';
import { createRunDir, markRunFinished, runLogWriter } from './run-logs.js';

export interface RunSessionOptions {
  /** Where messages for people go (stderr, a test's collector). */
  log: Logger;
  /** Show debug lines too (they always go to the run's log). */
  debug?: boolean | undefined;
  progress?: (StageHooks & BuildProgress) | undefined;
  /** For tests: the runs directory (default: `<cache>/runs`). */
  runsRoot?: string;
}

/** What a command needs to keep its logs and show progress: loggers, the context, stage hooks. */
export interface RunSession {
  runDir: string;
  /** Messages for people, also kept in the run's `run.log`. */
  log: Logger;
  /** Details (commands, environment): kept in `run.log`; shown with --debug. */
  debug: Logger;
  context: RunContext;
  /** Hooks for a StageRunner: the context knows the stage (logs are named after it), progress shows it. */
  stages: { stageStarted(name: string): void; stageEnded(name: string, seconds: number, failed: boolean): void };
  /**
   * Run BODY inside the session (builds find the context); a failure logs where the logs are.
   * The run's directory is marked finished after it (until then, pruning keeps it).
   */
  run<T>(body: () => Promise<T>): Promise<T>;
}

const failedRunDirs = new WeakMap<Error, string>();

/** The log directory of the run ERROR ended (the failure report's logDir), when it ended one. */
export function runDirOfFailure(error: unknown): string | undefined {
  return error instanceof Error ? failedRunDirs.get(error) : undefined;
}

/** Start a run: its log directory (`<cache>/runs/<timestamp>-<pid>`, the last 20 kept) and loggers. */
export async function startRunSession(options: RunSessionOptions): Promise<RunSession> {
  const runDir = await createRunDir(options.runsRoot ? { root: options.runsRoot } : {});
  const keep = runLogWriter(runDir);
  const log: Logger = (message) => {
    keep(message);
    options.log(message);
  };
  const debug: Logger = (message) => {
    keep(`debug: ${message}`);
    if (options.debug) options.log(`debug: ${message}`);
  };
  const context: RunContext = { runDir, debug, progress: options.progress };
  return {
    runDir,
    log,
    debug,
    context,
    stages: {
      stageStarted: (name) => {
        context.stage = name;
        options.progress?.stageStarted(name);
      },
      stageEnded: (name, seconds, failed) => {
        context.stage = undefined;
        options.progress?.stageEnded(name);
        debug(`stage ${name} ${failed ? 'failed' : 'done'} after ${seconds.toFixed(1)} s`);
      },
    },
    run: async (body) => {
      try {
        return await withRunContext(context, body);
      } catch (error) {
        log(`failed; logs of this run: ${runDir}`);
        if (error instanceof Error && !failedRunDirs.has(error)) failedRunDirs.set(error, runDir);
        throw error;
      } finally {
        await markRunFinished(runDir);
      }
    },
  };
}
