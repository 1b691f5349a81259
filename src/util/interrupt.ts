/**
 * Cleanup that must run when the user presses Ctrl-C or the process is told to stop: each
 * registered handler runs once (in reverse order of registration), then the process exits
 * with the conventional status. Work that a SIGKILL interrupts is repaired at the next start
 * instead (see build/journal.ts).
 */
import { exitCodeOf, signalOutcome } from './outcomes.js';

type Handler = () => Promise<void>;

const handlers: Handler[] = [];
let installed = false;
let stopping = false;

async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (handlers.length > 0)
    process.stderr.write(`\n[tsbuild-patch] ${signal}: cleaning up before exiting (work tree, containers)\n`);
  for (const handler of [...handlers].reverse()) {
    try {
      await handler();
    } catch (error) {
      process.stderr.write(`[tsbuild-patch] cleanup failed: ${(error as Error).message}\n`);
    }
  }
  process.exit(exitCodeOf(signalOutcome(signal)));
}

/** Register cleanup for an interruption; returns a function that unregisters it. */
export function onInterrupt(handler: Handler): () => void {
  if (!installed) {
    installed = true;
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(signal));
  }
  handlers.push(handler);
  return () => {
    const at = handlers.indexOf(handler);
    if (at >= 0) handlers.splice(at, 1);
  };
}
