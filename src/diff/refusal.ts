import type { Refusal, RefusalCategory } from '../util/refusal.js';

/**
 * A change the differ cannot turn into a safe livepatch. Carries the refusals (each naming the
 * section or function involved, with the category of its rule); the CLI maps it to exit status 2.
 */
export class DiffRefusal extends Error {
  readonly refusals: readonly Refusal[];

  constructor(refusals: readonly Refusal[]) {
    super(refusals.map((r) => r.reason).join('; '));
    this.name = 'DiffRefusal';
    this.refusals = refusals;
  }

  /** A refusal of one reason. */
  static of(category: RefusalCategory, reason: string): DiffRefusal {
    return new DiffRefusal([{ category, reason }]);
  }
}
