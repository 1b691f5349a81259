import { exitCodeOf, type OUTCOMES } from './outcomes.js';
import type { ObjectRefusal, RefusalCategory } from './refusal.js';

/** Exit statuses a UserError may carry (src/util/outcomes.ts): failed, no-change, compile-failed, usage. A refusal is a RefusedError. */
export type UserErrorExit = (typeof OUTCOMES)['failed' | 'no-change' | 'compile-failed' | 'usage']['exitCode'];

/**
 * An error caused by the input or the environment, with a message meant for the user.
 * Everything the CLI reports without a stack trace derives from this.
 */
export class UserError extends Error {
  readonly exitCode: number;
  readonly hint: string | undefined;

  constructor(message: string, options: { exitCode?: UserErrorExit; hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.exitCode = options.exitCode ?? exitCodeOf('failed');
    this.hint = options.hint;
  }
}

/**
 * A command line the tool does not take (outcome usage): yargs' own complaints and a mistyped
 * command. Reported before anything runs (no run log), with a pointer to --help.
 */
export class UsageError extends UserError {
  constructor(message: string) {
    super(message, { exitCode: exitCodeOf('usage'), hint: "run 'tsbuild-patch --help' for usage" });
    this.name = 'UsageError';
  }
}

/**
 * A refusal (outcome refused, exit status 2): the patch or the kernel cannot be live-patched safely. Carries its
 * reasons, each with the object it concerns and the category of the rule that refused it.
 */
export class RefusedError extends UserError {
  override readonly exitCode = exitCodeOf('refused');

  constructor(
    message: string,
    readonly reasons: readonly ObjectRefusal[],
    hint?: string,
  ) {
    super(message, hint ? { hint } : {});
    this.name = 'RefusedError';
  }
}

/**
 * A refusal of one reason. OBJECT, when given, is the file it concerns: the message then
 * starts with it, and the reason is reported without it.
 */
export function refusedError(
  category: RefusalCategory,
  reason: string,
  options: { object?: string; hint?: string } = {},
): RefusedError {
  const object = options.object ?? '';
  return new RefusedError(object ? `${object}: ${reason}` : reason, [{ object, reason, category }], options.hint);
}
