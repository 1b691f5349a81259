import { RefusedError, UserError } from '../util/errors.js';
import { exitCodeOf, failureOutcome } from '../util/outcomes.js';
import { runDirOfFailure } from '../util/run-session.js';
import { SCHEMA_VERSION } from './envelope.js';
import type { FailureReport } from './run-report.js';

/**
 * The --json report of a run that built no module (of any command that failed): a UserError's
 * outcome and message, a refusal's reasons, and the logs of the run it ended; any other error is
 * a bug of the tool (internal-error, with its stack).
 */
export function failureReport(error: unknown): FailureReport {
  const logDir = runDirOfFailure(error);
  if (!(error instanceof UserError)) {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return {
      schemaVersion: SCHEMA_VERSION,
      outcome: 'internal-error',
      exitCode: exitCodeOf('internal-error'),
      message: `internal error: ${text}`,
      reasons: [],
      ...(logDir ? { logDir } : {}),
    };
  }
  const outcome = failureOutcome(error.exitCode);
  const reasons = error instanceof RefusedError ? [...error.reasons] : [];
  return {
    schemaVersion: SCHEMA_VERSION,
    outcome,
    exitCode: error.exitCode,
    message: error.message,
    ...(error.hint ? { hint: error.hint } : {}),
    reasons,
    ...(logDir ? { logDir } : {}),
  };
}
