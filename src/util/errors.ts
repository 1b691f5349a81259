/**
 * An error caused by the input or the environment, with a message meant for the user.
 * Everything the CLI reports without a stack trace derives from this.
 */
export class UserError extends Error {
  readonly exitCode: number;
  readonly hint: string | undefined;

  constructor(message: string, options: { exitCode?: number; hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.exitCode = options.exitCode ?? 1;
    this.hint = options.hint;
  }
}

/** A refusal (exit status 2) with its reasons, each naming the object, and their categories. */
export class RefusedError extends UserError {
  constructor(message: string, readonly reasons: ReadonlyArray<{ object: string; reason: string; category: string }>, hint?: string) {
    super(message, { exitCode: 2, ...(hint ? { hint } : {}) });
    this.name = 'RefusedError';
  }
}
