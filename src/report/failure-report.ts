import { RefusedError, type UserError } from '../util/errors.js';
import { failureOutcome } from '../util/outcomes.js';
import type { FailureReport } from './run-report.js';

/** The --json report of a run that built no module. */
export function failureReport(error: UserError): FailureReport {
  const outcome = failureOutcome(error.exitCode);
  const reasons = error instanceof RefusedError ? [...error.reasons] : [];
  return { outcome, exitCode: error.exitCode, message: error.message, reasons };
}
