/**
 * Every outcome of a tsbuild-patch command, with its exit status and what it means: the one
 * table the commands, batch, vm-test, the run reports, the signal handler, the `--help` texts
 * and the README's "Exit status" take them from. It sits in util/, below everything that reports
 * an outcome (UserError and the interrupt handler included), and imports nothing.
 */

/** The commands: each one's `--help` lists its exit statuses. */
export type OutcomeCommand =
  | 'build'
  | 'batch'
  | 'cache'
  | 'diff'
  | 'elf-dump'
  | 'package'
  | 'prepare'
  | 'promote'
  | 'publish'
  | 'releases'
  | 'stream'
  | 'test-kernel'
  | 'vm-test';

export interface OutcomeRow {
  readonly exitCode: number;
  /** The commands that end with this outcome. */
  readonly commands: readonly OutcomeCommand[];
  /** One line: what the outcome means. */
  readonly meaning: string;
}

const EVERY: readonly OutcomeCommand[] = [
  'build',
  'batch',
  'cache',
  'diff',
  'elf-dump',
  'package',
  'prepare',
  'promote',
  'publish',
  'releases',
  'stream',
  'test-kernel',
  'vm-test',
];
/** The commands that build kernel code (make): they may end in a compile failure. */
const BUILDING: readonly OutcomeCommand[] = ['build', 'batch', 'prepare', 'stream', 'test-kernel'];

/**
 * In the order of their exit statuses. 0-6 are the outcomes of the job; 64 (usage) and 70
 * (internal-error) are sysexits.h's EX_USAGE and EX_SOFTWARE; 130 and 143 are 128 + the signal.
 */
export const OUTCOMES = {
  built: {
    exitCode: 0,
    commands: ['build', 'batch', 'stream'],
    meaning: 'every module was built (and, with --vm-test, passed in the VM)',
  },
  passed: { exitCode: 0, commands: ['vm-test'], meaning: 'the guest script passed' },
  changed: { exitCode: 0, commands: ['diff'], meaning: 'the code differs; the patch object was written' },
  done: {
    exitCode: 0,
    commands: ['cache', 'elf-dump', 'package', 'prepare', 'promote', 'publish', 'releases', 'test-kernel'],
    meaning: 'the command did what it was asked',
  },
  failed: {
    exitCode: 1,
    commands: EVERY,
    meaning:
      'bad input or environment: a missing file, a patch that does not apply, no such kernel (the message says which)',
  },
  refused: {
    exitCode: 2,
    commands: ['build', 'batch', 'diff', 'stream'],
    meaning: 'refused as unsafe or unsupported; each reason names its object and category',
  },
  'no-change': {
    exitCode: 3,
    commands: ['build', 'batch', 'diff', 'stream'],
    meaning: 'no functional change (only moved lines, comments or line numbers)',
  },
  'vm-test-failed': {
    exitCode: 4,
    commands: ['build', 'vm-test'],
    meaning: 'the guest script failed, or (when required) a patched function was not seen to run',
  },
  'vm-unfinished': {
    exitCode: 5,
    commands: ['build', 'vm-test'],
    meaning: 'the VM did not finish: timeout, no boot, crash',
  },
  'compile-failed': {
    exitCode: 6,
    commands: BUILDING,
    meaning: "a kernel build (make) failed: the compiler's or linker's errors and the log's path are in the message",
  },
  usage: {
    exitCode: 64,
    commands: EVERY,
    meaning: 'a command line it does not take (unknown command or option, bad argument): nothing ran',
  },
  'internal-error': {
    exitCode: 70,
    commands: EVERY,
    meaning: 'a bug of the tool: the message has its stack trace',
  },
  interrupted: { exitCode: 130, commands: EVERY, meaning: 'Ctrl-C (SIGINT); a build restores its work tree first' },
  terminated: { exitCode: 143, commands: EVERY, meaning: 'SIGTERM or SIGHUP; a build restores its work tree first' },
} as const satisfies Record<string, OutcomeRow>;

export type Outcome = keyof typeof OUTCOMES;

/** What became of a build (one patch of a batch, one release of several): a module or why not. */
export type BuildOutcome = 'built' | FailureOutcome;
/** Why a job made no module (or did not do what it was asked): a UserError's outcome, or a bug. */
export type FailureOutcome = 'refused' | 'no-change' | 'failed' | 'compile-failed' | 'usage' | 'internal-error';
/** What a VM test came to. */
export type VmTestOutcome = 'passed' | 'vm-test-failed' | 'vm-unfinished';

export function exitCodeOf<O extends Outcome>(outcome: O): (typeof OUTCOMES)[O]['exitCode'] {
  return OUTCOMES[outcome].exitCode;
}

const FAILURES: readonly FailureOutcome[] = [
  'refused',
  'no-change',
  'failed',
  'compile-failed',
  'usage',
  'internal-error',
];

/** The outcome an error's exit status stands for (else failed). */
export function failureOutcome(exitCode: number): FailureOutcome {
  return FAILURES.find((outcome) => OUTCOMES[outcome].exitCode === exitCode) ?? 'failed';
}

/**
 * Of several builds (a batch's patches, the releases of several --kernel), the outcome the
 * process exits with, worst first: a bug of the tool, bad input, a compile failure, a refusal,
 * no change; built only when every one was.
 */
export const BUILD_OUTCOMES_WORST_FIRST: readonly BuildOutcome[] = [
  'internal-error',
  'usage',
  'failed',
  'compile-failed',
  'refused',
  'no-change',
  'built',
];

export function worstOutcome(outcomes: readonly BuildOutcome[]): BuildOutcome {
  return BUILD_OUTCOMES_WORST_FIRST.find((outcome) => outcomes.includes(outcome)) ?? 'built';
}

/**
 * A VM run's outcome: the script ran to the end (passed or failed by its status), or not. A
 * script that passed fails when what the user required of it did not hold (--require-exercised:
 * every patched function seen to run).
 */
export function vmTestOutcome(
  vm: { status: string; exitStatus: number | undefined },
  requirementMet = true,
): VmTestOutcome {
  if (vm.status !== 'ok') return 'vm-unfinished';
  return vm.exitStatus === 0 && requirementMet ? 'passed' : 'vm-test-failed';
}

/** A signal that stops the tool: Ctrl-C is an interruption, any other a termination. */
export function signalOutcome(signal: NodeJS.Signals): 'interrupted' | 'terminated' {
  return signal === 'SIGINT' ? 'interrupted' : 'terminated';
}

function rowsOf(command?: OutcomeCommand): Array<[Outcome, OutcomeRow]> {
  return (Object.entries(OUTCOMES) as Array<[Outcome, OutcomeRow]>).filter(
    ([, row]) => !command || row.commands.includes(command),
  );
}

const WORST = `the status of the worst outcome among them: ${BUILD_OUTCOMES_WORST_FIRST.slice(0, -1).join(', then ')}.`;
const HELP_NOTES: Partial<Record<OutcomeCommand, string>> = {
  build: `With several --kernel, ${WORST}`,
  batch: `Of the patches, ${WORST}`,
  stream: `Of the releases, ${WORST}`,
};

const JSON_NOTE =
  'With --json, stdout holds one JSON document with schemaVersion, outcome and exitCode (the schemas: schemas/ in the package), a failure included.';
/** A command's own note on --json; null: it has no --json. */
const JSON_NOTES: Partial<Record<OutcomeCommand, string | null>> = {
  batch:
    'With --json, stdout holds one JSON line per patch (kind "patch") as it finishes, then one of kind "summary"; each has schemaVersion, outcome and exitCode, the summary\'s the process\'s (the schemas: schemas/ in the package).',
  'elf-dump': null,
  prepare: null,
};

/** The `--help` epilogue of COMMAND: its exit statuses, one a line. */
export function exitStatusHelp(command: OutcomeCommand): string {
  const rows = rowsOf(command);
  const width = Math.max(...rows.map(([outcome]) => outcome.length));
  const lines = rows.map(
    ([outcome, row]) => `  ${String(row.exitCode).padStart(3)}  ${outcome.padEnd(width)}  ${row.meaning}`,
  );
  return [
    'Exit status:',
    ...lines,
    ...(HELP_NOTES[command] ? [HELP_NOTES[command]] : []),
    ...(JSON_NOTES[command] !== null ? [JSON_NOTES[command] ?? JSON_NOTE] : []),
  ].join('\n');
}

/** The README's table of exit statuses (its "Exit status" section holds exactly this). */
export function exitStatusMarkdown(): string {
  const commandName = (c: OutcomeCommand) => (c === 'build' ? 'main' : c);
  return [
    '| exit status | outcome | commands | meaning |',
    '| --- | --- | --- | --- |',
    ...rowsOf().map(
      ([outcome, row]) =>
        `| ${row.exitCode} | \`${outcome}\` | ${row.commands.length === EVERY.length ? 'all' : row.commands.map(commandName).join(', ')} | ${row.meaning} |`,
    ),
  ].join('\n');
}
