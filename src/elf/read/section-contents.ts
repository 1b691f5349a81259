import { SHT_NOBITS, SHT_NULL } from '../constants.js';
import type { RawSectionHeader } from './elfy-adapter.js';
import type { FileView } from './file-view.js';

const NO_CONTENTS = Buffer.alloc(0);

/**
 * The contents of every section of one file, read on first use and then shared by
 * `section.data` and the decoders. Ranges were checked with the section headers, so a read
 * fails only when the file changed on disk (piecewise reads).
 */
export class SectionContents {
  private readonly read: Array<Buffer | undefined>;

  constructor(
    private readonly view: FileView,
    private readonly raws: readonly RawSectionHeader[],
    private readonly names: readonly string[],
  ) {
    this.read = new Array<Buffer | undefined>(raws.length);
  }

  bytesOf(index: number): Buffer {
    return this.read[index] ?? this.readNow(index);
  }

  private readNow(index: number): Buffer {
    const raw = this.raws[index] as RawSectionHeader;
    let bytes: Buffer = NO_CONTENTS;
    if (raw.type !== SHT_NULL && raw.type !== SHT_NOBITS) {
      try {
        bytes = this.view.readChecked(raw.offset, raw.size);
      } catch (error) {
        this.view.failRead(`contents of section ${index} (${this.names[index]})`, error);
      }
    }
    this.read[index] = bytes;
    return bytes;
  }
}
