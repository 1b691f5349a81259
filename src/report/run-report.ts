import type { FailureOutcome } from '../util/outcomes.js';
import { describeExercise, type ModuleExercise } from './exercise.js';
import type { ObjectRefusal } from '../util/refusal.js';

/** The report of a pipeline run (`--json`), and its human summary. */
export interface StageReport {
  name: string;
  seconds: number;
}

export interface ObjectReport {
  object: string;
  target: string;
  outcome: 'changed' | 'no-change' | 'refused';
  changedFunctions: string[];
  newFunctions: string[];
  callbacks: Array<{ hook: string; function: string }>;
  reasons: string[];
  /** The category of each reason (src/util/refusal.ts), in the same order. */
  categories: string[];
  notes: string[];
  /** How the symbols the patch refers to are reached: exported, klp (with sympos), patch. */
  klpSymbols: string[];
}

/** What --json prints when the job stops without a module (refused, no change, bad input). */
export interface FailureReport {
  schemaVersion: number;
  outcome: FailureOutcome;
  exitCode: number;
  message: string;
  /** What to do about it, when the tool knows. */
  hint?: string;
  /** For a refusal: each reason with the object it concerns and its category. */
  reasons: ObjectRefusal[];
  /** Where the logs of the failed run are kept, when it got as far as starting one. */
  logDir?: string;
}

export interface RunReport {
  module: string;
  output?: string;
  sha256?: string;
  signed: boolean;
  kernelRelease: string;
  /** The running kernel's bootable image and modules directory, when known (for --vm-test). */
  kernelImage?: string;
  modulesDir?: string;
  runner: string;
  stages: StageReport[];
  objects: ObjectReport[];
  warnings: string[];
  vmTest?: {
    status: string;
    exitStatus: number | undefined;
    output: string;
    /** The calls of the livepatch's functions counted while it was applied. */
    exercise: ModuleExercise[];
    /** Whether every patched function had to be seen to run (--vm-require-exercised). */
    exerciseRequired: boolean;
  };
  /** Where this run's logs are kept (`<cache>/runs/<timestamp>-<pid>`). */
  logDir?: string;
  /** The kernel tree the objects were built in (the tool's cached tree, or a copy of it). */
  tree?: string;
}

export function formatRunReport(report: RunReport): string {
  const lines: string[] = [];
  for (const object of report.objects) {
    if (object.outcome !== 'changed') continue;
    const target = object.target === 'vmlinux' ? 'vmlinux' : `module ${object.target}`;
    for (const name of object.changedFunctions) lines.push(`  changed  ${name}  (${object.object}, ${target})`);
    for (const name of object.newFunctions) lines.push(`  new      ${name}  (${object.object})`);
    for (const cb of object.callbacks) lines.push(`  callback ${cb.hook}: ${cb.function}`);
  }
  if (report.vmTest) {
    const { status, exitStatus, exercise } = report.vmTest;
    lines.push(`vm test: ${status}, script exit ${exitStatus ?? '-'}`);
    for (const e of exercise) lines.push(`  ${describeExercise(e)}`);
  }
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  const total = report.stages.reduce((sum, s) => sum + s.seconds, 0);
  lines.push(
    `stages: ${report.stages.map((s) => `${s.name} ${s.seconds.toFixed(1)} s`).join(', ')}; total ${total.toFixed(1)} s`,
  );
  if (report.logDir) lines.push(`logs: ${report.logDir}`);
  if (report.output) lines.push(`${report.signed ? 'signed ' : ''}module: ${report.output}`);
  return lines.join('\n') + '\n';
}
