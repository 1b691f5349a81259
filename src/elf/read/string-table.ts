import type { FileView } from './file-view.js';

/**
 * Reads NUL-terminated strings of one string-table section, checking that every index lies
 * inside the table and every string ends inside it. Names are decoded as latin1 so that any
 * byte sequence survives a read/write round trip unchanged.
 */
export class StringTableReader {
  private readonly view: FileView;
  private readonly start: number;
  private readonly end: number;
  private readonly label: string;

  constructor(view: FileView, offset: number, size: number, label: string) {
    view.checkRange(offset, size, label);
    this.view = view;
    this.start = offset;
    this.end = offset + size;
    this.label = label;
  }

  get(index: number, user: string): string {
    const buffer = this.view.buffer;
    const at = this.start + index;
    if (index >= this.end - this.start) {
      this.view.fail(`${user} has name index ${index} outside ${this.label} (${this.end - this.start} bytes)`);
    }
    const nul = buffer.indexOf(0, at);
    if (nul === -1 || nul >= this.end) this.view.fail(`${user} has a name at index ${index} that runs past the end of ${this.label}`);
    return buffer.toString('latin1', at, nul);
  }
}
