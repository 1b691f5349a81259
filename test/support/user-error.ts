import { expect } from 'vitest';
import { UserError } from '../../src/util/errors.js';

/** Run RUN, which must throw a UserError, and return that error for further checks. */
export function userError(run: () => unknown): UserError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected a UserError');
}
