/**
 * Whether a livepatch's code was seen to run in the VM, apart from whether it loaded: the calls
 * of each replacement function counted while the livepatch was applied (src/vm/call-counts.ts
 * counts them in the guest), and what they add up to per livepatch.
 */

/** The calls of one replacement function while patched. */
export interface FunctionCalls {
  /** "vmlinux" or the module the function is in. */
  object: string;
  function: string;
  /** Its position as the kernel's sysfs names it (/sys/kernel/livepatch/<patch>/<object>/<function>,<sympos>). */
  sympos: number;
  /** The livepatch module's symbol that was probed ("-": none). */
  symbol: string;
  /** Calls counted; null when they could not be counted (`reason` says why). */
  calls: number | null;
  reason?: string;
}

/**
 * - exercised: every replacement function was called;
 * - partly-exercised: some were, others were not or could not be counted;
 * - not-exercised: none was called (at least one counted);
 * - not-measured: none could be counted (a kernel without kprobe events: the test kernel).
 */
export const EXERCISE_VERDICTS = ['exercised', 'partly-exercised', 'not-exercised', 'not-measured'] as const;
export type ExerciseVerdict = (typeof EXERCISE_VERDICTS)[number];

/** One counting window of one livepatch (from its transition to its disable, by default). */
export interface ModuleExercise {
  module: string;
  verdict: ExerciseVerdict;
  functions: FunctionCalls[];
}

export function exerciseVerdict(functions: readonly FunctionCalls[]): ExerciseVerdict {
  const counted = functions.filter((f) => f.calls !== null);
  const called = counted.filter((f) => f.calls! > 0);
  if (counted.length === 0) return 'not-measured';
  if (called.length === functions.length) return 'exercised';
  return called.length > 0 ? 'partly-exercised' : 'not-exercised';
}

const plural = (n: number) => `${n} call${n === 1 ? '' : 's'}`;

/** "vmlinux/cmdline_proc_show,1: 3 calls", or why it was not counted. */
export function describeCalls(f: FunctionCalls): string {
  const where = `${f.object}/${f.function},${f.sympos}`;
  return f.calls === null
    ? `${where}: not measured (${f.reason ?? 'no reason given'})`
    : `${where}: ${plural(f.calls)}`;
}

/** "livepatch_fix: exercised (vmlinux/cmdline_proc_show,1: 3 calls)". */
export function describeExercise(e: ModuleExercise): string {
  return `${e.module}: ${e.verdict.replace(/-/g, ' ')} (${e.functions.map(describeCalls).join('; ') || 'no function'})`;
}

/**
 * Why EXERCISE does not prove that every patched function ran (--require-exercised): each
 * function not called or not counted, or that nothing was counted at all. Empty: proven.
 */
export function exerciseShortfalls(exercise: readonly ModuleExercise[]): string[] {
  if (exercise.length === 0)
    return ['no calls were counted: no livepatch was applied while the script counted (klp_count_start)'];
  return exercise.flatMap((e) =>
    e.functions.filter((f) => f.calls === null || f.calls === 0).map((f) => `${e.module}: ${describeCalls(f)}`),
  );
}
