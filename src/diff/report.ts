/**
 * What the differ tells its caller: the JSON document (`--json`) and the human summary.
 */
import { exitCodeOf } from '../util/outcomes.js';
import type { DiffResult, Outcome } from './diff-objects.js';
import type { LineNumbers } from './line-drift.js';

/** Exit status of `tsbuild-patch diff` for each outcome (src/util/outcomes.ts). */
export const EXIT_STATUS: Record<Outcome, number> = {
  changed: exitCodeOf('changed'),
  'no-change': exitCodeOf('no-change'),
  refused: exitCodeOf('refused'),
};

export interface DiffReport {
  outcome: Outcome;
  changedFunctions: string[];
  newFunctions: string[];
  callbacks: Array<{ hook: string; function: string }>;
  reasons: string[];
  /** The category of each reason (src/util/refusal.ts), in the same order. */
  categories: string[];
  notes: string[];
  /** How line numbers were read: kept (every difference a change) or guessed (src/diff/line-drift.ts). */
  lineNumbers: LineNumbers;
  target: { object: string; isModule: boolean };
  /** Per special section: bytes per entry (null: the target kernel has none) and where that came from. */
  entrySizes: Record<string, { size: number | null; origin: string }>;
  output?: string;
}

export function diffReport(result: DiffResult, output?: string): DiffReport {
  return {
    outcome: result.outcome,
    changedFunctions: result.changedFunctions,
    newFunctions: result.newFunctions,
    callbacks: result.callbacks.map((callback) => ({ ...callback })),
    reasons: result.refusals.map((r) => r.reason),
    categories: result.refusals.map((r) => r.category),
    notes: result.notes,
    lineNumbers: result.lineNumbers,
    target: { object: result.target.objectName, isModule: result.target.isModule },
    entrySizes: Object.fromEntries([...result.entrySizes].map(([name, size]) => [name, { ...size }])),
    ...(output !== undefined ? { output } : {}),
  };
}

export function formatReport(report: DiffReport): string {
  const lines: string[] = [];
  for (const name of report.changedFunctions) lines.push(`changed function: ${name}`);
  for (const name of report.newFunctions) lines.push(`new function: ${name}`);
  for (const callback of report.callbacks) lines.push(`callback (${callback.hook}): ${callback.function}`);
  for (const note of report.notes) lines.push(`note: ${note}`);
  for (const reason of report.reasons) lines.push(`refused: ${reason}`);
  switch (report.outcome) {
    case 'changed':
      lines.push(`patch object written to ${report.output ?? '(not written)'}`);
      break;
    case 'no-change':
      lines.push('no functional change found');
      break;
    case 'refused':
      lines.push('the change cannot be livepatched safely (see the reasons above)');
      break;
  }
  return lines.join('\n') + '\n';
}
