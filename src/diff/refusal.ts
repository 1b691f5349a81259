/**
 * A change the differ cannot turn into a safe livepatch. Carries the reasons (each naming the
 * section or function involved); the CLI maps it to exit status 2.
 */
export class DiffRefusal extends Error {
  readonly reasons: readonly string[];

  constructor(reason: string | readonly string[]) {
    const reasons = typeof reason === 'string' ? [reason] : reason;
    super(reasons.join('; '));
    this.name = 'DiffRefusal';
    this.reasons = reasons;
  }
}
