import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from './log.js';

/** What a build reports while it runs: kbuild's compile lines, counted. */
export interface BuildProgress {
  /** A make starts; TOTAL is the number of objects it will compile, when known. */
  buildStarted(total: number | undefined): void;
  compiled(object: string): void;
  buildEnded(): void;
}

/**
 * The pipeline run a piece of work belongs to, without passing it through every layer: where
 * its logs are kept, the stage it is in, its debug log and its progress display. Builds (runMake)
 * read it to keep their logs with the run and to count compiles.
 */
export interface RunContext {
  /** This run's directory of kept logs (`<cache>/runs/<timestamp>-<pid>`). */
  runDir: string;
  /** The stage running now (names the build logs: `<stage>.log`). */
  stage?: string | undefined;
  /** Details for --debug: commands, environment; always kept in the run's log. */
  debug: Logger;
  progress?: BuildProgress | undefined;
}

const storage = new AsyncLocalStorage<RunContext>();

/** The run the caller is part of, if any. */
export function currentRun(): RunContext | undefined {
  return storage.getStore();
}

/** Run BODY as part of the run CONTEXT. */
export function withRunContext<T>(context: RunContext, body: () => Promise<T>): Promise<T> {
  return storage.run(context, body);
}
