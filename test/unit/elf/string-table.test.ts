import { describe, expect, it } from 'vitest';
import { StringTableBuilder } from '../../../src/elf/write/string-table-builder.js';

/** The NUL-terminated string at `offset` of `bytes`. */
function stringAt(bytes: Buffer, offset: number): string {
  return bytes.toString('latin1', offset, bytes.indexOf(0, offset));
}

describe('StringTableBuilder', () => {
  it('stores each string once and points tails into the longer strings that end with them', () => {
    const names = ['.text.foo', '.rela.text.foo', 'foo', 'bar', '.rela.text.bar', 'a.bar', 'oo', '.text.foo'];
    const builder = new StringTableBuilder();
    for (const name of names) builder.add(name);
    const bytes = builder.toBuffer();

    for (const name of names) expect(stringAt(bytes, builder.offsetOf(name))).toBe(name);
    expect(builder.offsetOf('')).toBe(0);
    expect(bytes[0]).toBe(0);
    // Tails share storage with the longest string ending with them.
    expect(builder.offsetOf('.text.foo')).toBe(builder.offsetOf('.rela.text.foo') + '.rela'.length);
    expect(builder.offsetOf('foo')).toBe(builder.offsetOf('.rela.text.foo') + '.rela.text.'.length);
    expect(builder.offsetOf('oo')).toBe(builder.offsetOf('.rela.text.foo') + '.rela.text.f'.length);
    expect(builder.offsetOf('bar')).toBe(builder.offsetOf('a.bar') + 'a.'.length);
    // Only the strings no other string ends with take space: the leading NUL, two relocation
    // section names and a.bar (which no longer name ends with).
    expect(bytes.length).toBe(1 + '.rela.text.foo\0'.length + '.rela.text.bar\0'.length + 'a.bar\0'.length);
  });
});
