import { RefusedError, type UserError } from '../util/errors.js';
import type { FailureReport } from './run-report.js';

/** The --json report of a run that built no module. */
export function failureReport(error: UserError): FailureReport {
  const outcome = error.exitCode === 2 ? 'refused' : error.exitCode === 3 ? 'no-change' : 'failed';
  const reasons = error instanceof RefusedError ? [...error.reasons] : [];
  return { outcome, exitCode: error.exitCode, message: error.message, reasons };
}
