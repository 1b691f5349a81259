import type { FileView } from './file-view.js';

/**
 * Reads NUL-terminated strings of one string-table section, checking that every index lies
 * inside the table and every string ends inside it. Names are decoded as latin1 so that any
 * byte sequence survives a read/write round trip unchanged.
 */
export class StringTableReader {
  /** The whole table as one string: one decode, then cheap JS slices per name. */
  private readonly text: string;

  constructor(
    private readonly view: FileView,
    bytes: Buffer,
    private readonly label: string,
  ) {
    this.text = bytes.toString('latin1');
  }

  /** The string at `index`, or undefined when the index or the string is not inside the table. */
  lookup(index: number): string | undefined {
    const text = this.text;
    if (index >= text.length) return undefined;
    const nul = text.indexOf('\0', index);
    return nul === -1 ? undefined : text.slice(index, nul);
  }

  /** The string at `index`; throws an ElfFormatError naming `user` when there is none. */
  get(index: number, user: string): string {
    const name = this.lookup(index);
    if (name === undefined) this.view.fail(`${user} ${this.problem(index)}`);
    return name;
  }

  /** Why `lookup(index)` gave nothing. */
  problem(index: number): string {
    if (index >= this.text.length) return `has name index ${index} outside ${this.label} (${this.text.length} bytes)`;
    return `has a name at index ${index} that runs past the end of ${this.label}`;
  }
}
