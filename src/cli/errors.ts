import { UserError } from '../util/errors.js';
import { exitCodeOf } from '../util/outcomes.js';

/** Print an error for a person and return the exit status it maps to (not a UserError: a bug, internal-error). */
export function reportError(error: unknown): number {
  if (error instanceof UserError) {
    process.stderr.write(`tsbuild-patch: ${error.message}\n`);
    if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    return error.exitCode;
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`tsbuild-patch: internal error: ${text}\n`);
  return exitCodeOf('internal-error');
}
