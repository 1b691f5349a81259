/**
 * DWARF the reader cannot decode: a unit, abbreviation or form it does not know, or an offset
 * outside its section. `what` says what is wrong; the caller says which file.
 */
export class DwarfFormatError extends Error {
  readonly what: string;

  constructor(what: string) {
    super(`DWARF: ${what}`);
    this.name = 'DwarfFormatError';
    this.what = what;
  }
}
