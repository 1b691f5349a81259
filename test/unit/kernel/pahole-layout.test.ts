/** Reading struct sizes out of pahole's layout listing. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePaholeSizes } from '../../../src/kernel/facts/pahole-layout.js';
import { UserError } from '../../../src/util/errors.js';

// `pahole -F dwarf --skip_missing -C alt_instr,bug_entry,exception_table_entry,jump_entry,
// orc_entry,paravirt_patch_site,static_call_site,pi_entry,static_key,callback_head vmlinux`
// (pahole 1.24, the Linux 6.1.192 test kernel; pi_entry is not in its DWARF).
const SAMPLE = readFileSync(join(import.meta.dirname, 'fixtures/pahole-1.24-linux-6.1.192.txt'), 'utf8');

describe('parsePaholeSizes', () => {
  it('reads every struct of a captured pahole listing, packed, aligned and with unions', () => {
    const sizes = parsePaholeSizes(SAMPLE, 'sample');
    expect(Object.fromEntries(sizes)).toEqual({
      bug_entry: 12,
      exception_table_entry: 12,
      jump_entry: 16,
      orc_entry: 6, // } __attribute__((__packed__));
      static_call_site: 8,
      callback_head: 16, // } __attribute__((__aligned__(8)));
      static_key: 16, // an anonymous union member with its own closing brace
      alt_instr: 12,
      paravirt_patch_site: 16,
    });
  });

  it('takes the size from the top-level summary, not from a nested one', () => {
    const nested = [
      'struct outer {',
      '\tint                        a;                    /*     0     4 */',
      '\tstruct {',
      '\t\tint                b;                    /*     4     4 */',
      '',
      '\t\t/* size: 4, cachelines: 1, members: 1 */',
      '\t};                                               /*     4     4 */',
      '',
      '\t/* size: 8, cachelines: 1, members: 2 */',
      '\t/* last cacheline: 8 bytes */',
      '};',
      '',
    ].join('\n');
    expect(parsePaholeSizes(nested, 'nested').get('outer')).toBe(8);
    const onlyNested = nested.replace('\t/* size: 8, cachelines: 1, members: 2 */\n', '');
    expect(() => parsePaholeSizes(onlyNested, 'nested')).toThrow(/cannot read the size of struct outer/);
  });

  it('returns nothing for empty output (every struct missing)', () => {
    expect(parsePaholeSizes('', 'empty').size).toBe(0);
  });

  it('refuses a struct without a size line, a zero size, a truncated listing and conflicting duplicates', () => {
    const withoutSize = SAMPLE.replace('\t/* size: 12, cachelines: 1, members: 4 */\n', '');
    expect(() => parsePaholeSizes(withoutSize, 'no-size')).toThrow(/no-size: cannot read the size of struct bug_entry/);
    expect(() => parsePaholeSizes('struct x {\n\t/* size: 0, cachelines: 0, members: 0 */\n};\n', 'zero')).toThrow(
      /struct x a size of 0/,
    );
    const truncated = SAMPLE.slice(0, SAMPLE.indexOf('struct alt_instr {') + 60);
    expect(() => parsePaholeSizes(truncated, 'cut')).toThrow(/cut: pahole output ends inside struct alt_instr/);
    const twice = `${SAMPLE}struct jump_entry {\n\t/* size: 24, cachelines: 1, members: 3 */\n};\n`;
    expect(() => parsePaholeSizes(twice, 'twice')).toThrow(/two sizes for struct jump_entry \(16 and 24 bytes\)/);
    expect(() => parsePaholeSizes(withoutSize, 'no-size')).toThrow(UserError);
  });

  it('accepts the same struct printed twice with one size', () => {
    const block = SAMPLE.slice(SAMPLE.indexOf('struct jump_entry {'), SAMPLE.indexOf('struct orc_entry {'));
    expect(parsePaholeSizes(`${SAMPLE}${block}`, 'again').get('jump_entry')).toBe(16);
  });
});
