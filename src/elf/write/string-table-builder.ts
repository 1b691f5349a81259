/**
 * Builds a string table: offset 0 is the empty string, each distinct string is stored once,
 * and a string that is the tail of another (".text.foo" of ".rela.text.foo") points into it,
 * as binutils does. Add every string first, then ask for offsets and the bytes.
 * Strings are encoded as latin1, the inverse of how the reader decodes them.
 */
export class StringTableBuilder {
  private readonly strings = new Set<string>();
  private layout: { offsets: Map<string, number>; bytes: Buffer } | undefined;

  add(text: string): void {
    if (this.layout !== undefined) throw new Error('string table: add() after the table was laid out');
    if (text !== '') this.strings.add(text);
  }

  /** The offset of a string added earlier. */
  offsetOf(text: string): number {
    const offset = this.laidOut().offsets.get(text);
    if (offset === undefined) throw new Error(`string table: '${text}' was never added`);
    return offset;
  }

  toBuffer(): Buffer {
    return this.laidOut().bytes;
  }

  private laidOut(): { offsets: Map<string, number>; bytes: Buffer } {
    this.layout ??= layOut([...this.strings]);
    return this.layout;
  }
}

/**
 * Sorting by reversed text puts each string right after the longer strings that end with
 * it, so one comparison with the previously placed string finds a tail to share.
 */
function layOut(strings: string[]): { offsets: Map<string, number>; bytes: Buffer } {
  const ordered = strings.slice().sort(byReversedTextDescending);
  const offsets = new Map<string, number>([['', 0]]);
  const parts: string[] = ['\0'];
  let size = 1;
  let previous: { text: string; offset: number } | undefined;
  for (const text of ordered) {
    if (previous !== undefined && previous.text.endsWith(text)) {
      offsets.set(text, previous.offset + previous.text.length - text.length);
      continue;
    }
    offsets.set(text, size);
    parts.push(text, '\0');
    previous = { text, offset: size };
    size += text.length + 1;
  }
  return { offsets, bytes: Buffer.from(parts.join(''), 'latin1') };
}

/** Orders strings as their reversed texts would sort, descending, without building them. */
function byReversedTextDescending(a: string, b: string): number {
  let i = a.length - 1;
  let j = b.length - 1;
  for (; i >= 0 && j >= 0; i--, j--) {
    const difference = b.charCodeAt(j) - a.charCodeAt(i);
    if (difference !== 0) return difference;
  }
  // The longer string (the one that still has characters) comes first.
  return j - i;
}
