/**
 * The envelope of every `--json` output: schemaVersion, outcome and exitCode (the status the
 * process exits with), then the command's own fields. The JSON Schemas of each kind are in
 * schemas/ (schemas/envelope.schema.json for these three); a change that breaks a reader of the
 * old fields raises SCHEMA_VERSION.
 */
import { exitCodeOf, type Outcome } from '../util/outcomes.js';

export const SCHEMA_VERSION = 1;

export interface Envelope {
  schemaVersion: typeof SCHEMA_VERSION;
  outcome: Outcome;
  exitCode: number;
}

/** BODY with the envelope of OUTCOME in front (BODY's own outcome and exit code, if any, give way). */
export function withEnvelope<T extends object>(outcome: Outcome, body: T): Envelope & Omit<T, keyof Envelope> {
  const rest: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const key of ['schemaVersion', 'outcome', 'exitCode']) delete rest[key];
  return { schemaVersion: SCHEMA_VERSION, outcome, exitCode: exitCodeOf(outcome), ...rest } as Envelope &
    Omit<T, keyof Envelope>;
}

/** Print VALUE as the command's JSON document on stdout. */
export function printJson(value: object, options: { line?: boolean } = {}): void {
  process.stdout.write((options.line ? JSON.stringify(value) : JSON.stringify(value, null, 2)) + '\n');
}
