import { describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withDir } from 'tmp-promise';
import { klpRelaSectionName, klpSymbolName, parseKlpSymbolName } from '../../../src/emit/klp-names.js';
import { parseSymvers, readSymvers } from '../../../src/kernel/symvers.js';
import { UserError } from '../../../src/util/errors.js';

describe('livepatch symbol names', () => {
  it('round-trips object, name (dots allowed) and position', () => {
    const cases: Array<[string, string, number]> = [
      ['vmlinux', 'saved_command_line', 0],
      ['vmlinux', 'cmdline_proc_show.cold', 2],
      ['vmlinux', 'do_thing.isra.0', 11],
      ['livepatch_callbacks_mod', 'callbacks_mod_work_func', 1],
    ];
    for (const [object, name, sympos] of cases) {
      const symbol = klpSymbolName(object, name, sympos);
      expect(symbol).toBe(`.klp.sym.${object}.${name},${sympos}`);
      expect(parseKlpSymbolName(symbol)).toEqual({ object, name, sympos });
    }
  });

  it('rejects names that are not livepatch symbol names', () => {
    for (const symbol of [
      'saved_command_line',
      '.klp.sym.',
      '.klp.sym.vmlinux,0',
      '.klp.sym.vmlinux.foo',
      '.klp.sym..foo,0',
      '.klp.sym.vmlinux.,0',
      '.klp.sym.vmlinux.foo,',
      '.klp.sym.vmlinux.foo,x',
      '.klp.sym.vmlinux.foo,-1',
      '.klp.sym.vmlinux.foo,1.5',
      '.klp.sym.vmlinux.foo, 1',
      '.klp.sym.vmlinux.foo,0x10',
      '.klp.sym.vmlinux.foo,1e1',
      '.klp.rela.vmlinux..text.foo',
    ]) {
      expect(parseKlpSymbolName(symbol), symbol).toBeUndefined();
    }
  });

  it('names .klp.rela sections after the object and the full target section name', () => {
    expect(klpRelaSectionName('vmlinux', '.text.cmdline_proc_show')).toBe('.klp.rela.vmlinux..text.cmdline_proc_show');
    expect(klpRelaSectionName('demo_mod', '.rodata')).toBe('.klp.rela.demo_mod..rodata');
  });
});

const SYMVERS = [
  '0xa79c0fb6\tinit_uts_ns\tvmlinux\tEXPORT_SYMBOL_GPL\t',
  '0x84b45156\tinsert_resource_expand_to_fit\tvmlinux\tEXPORT_SYMBOL_GPL\tCXL',
  '',
  '0x12ab34cd\tshadow_helper\tsamples/livepatch/livepatch-shadow-mod\tEXPORT_SYMBOL\t',
  '',
].join('\n');

describe('parseSymvers', () => {
  it('reads crc, owner, kind and namespace of each export', () => {
    const exports = parseSymvers(SYMVERS);
    expect(exports.size).toBe(3);
    expect(exports.get('init_uts_ns')).toEqual({
      name: 'init_uts_ns',
      crc: '0xa79c0fb6',
      owner: 'vmlinux',
      kind: 'EXPORT_SYMBOL_GPL',
      namespace: '',
    });
    expect(exports.get('insert_resource_expand_to_fit')?.namespace).toBe('CXL');
    expect(exports.get('shadow_helper')?.owner).toBe('samples/livepatch/livepatch-shadow-mod');
  });

  it('accepts a line without the namespace column', () => {
    expect(parseSymvers('0x1\tfoo\tvmlinux\tEXPORT_SYMBOL').get('foo')?.namespace).toBe('');
  });

  it('refuses a malformed line, naming the file and line number', () => {
    const bad = SYMVERS.replace('0x12ab34cd\tshadow_helper', 'shadow_helper 0x12ab34cd');
    let caught: unknown;
    try {
      parseSymvers(bad, '/lib/modules/6.1.0/build/Module.symvers');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UserError);
    expect((caught as UserError).message).toContain('/lib/modules/6.1.0/build/Module.symvers:4:');
    expect(() => parseSymvers('0x1\tonly\tthree')).toThrow(/Module\.symvers:1:/);
    expect(() => parseSymvers('crc\tfoo\tvmlinux\tEXPORT_SYMBOL\t')).toThrow(UserError);
  });

  it('reads a file, and says which one it cannot read', async () => {
    await withDir(
      async ({ path }) => {
        const file = join(path, 'Module.symvers');
        await writeFile(file, SYMVERS);
        expect((await readSymvers(file)).has('init_uts_ns')).toBe(true);
        await expect(readSymvers(join(path, 'missing.symvers'))).rejects.toThrow(/missing\.symvers/);
      },
      { unsafeCleanup: true },
    );
  });
});
