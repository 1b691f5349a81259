import { UserError } from '../util/errors.js';

/**
 * An ELF file that cannot be read: not ELF, the wrong class/endianness/machine, or a header,
 * table, index or offset that points outside what the file holds.
 * `file` names the file (or '<buffer>'), `what` says what is wrong without the file name.
 */
export class ElfFormatError extends UserError {
  readonly file: string;
  readonly what: string;

  constructor(file: string, what: string, options: { cause?: unknown } = {}) {
    super(`${file}: ${what}`, options);
    this.name = 'ElfFormatError';
    this.file = file;
    this.what = what;
  }
}

/**
 * A model that cannot be written as a relocatable object: a symbol, relocation or group that
 * refers to something missing from the model, a value that does not fit its field, etc.
 * `what` says which part of the model is wrong.
 */
export class ElfModelError extends UserError {
  readonly file: string;
  readonly what: string;

  constructor(file: string, what: string) {
    super(`${file}: cannot write ELF object: ${what}`);
    this.name = 'ElfModelError';
    this.file = file;
    this.what = what;
  }
}
