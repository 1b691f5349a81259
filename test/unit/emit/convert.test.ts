import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import {
  readElf,
  SHF_ALLOC,
  SHF_INFO_LINK,
  SHF_RELA_LIVEPATCH,
  SHN_LIVEPATCH,
  type ElfFile,
  type ElfRelocationSection,
  writeRelocatable,
} from '../../../src/elf/index.js';
import { convertToLivepatchFormat } from '../../../src/emit/convert.js';
import { UserError } from '../../../src/util/errors.js';
import { compile } from './kernel-like.js';

let tmp: DirectoryResult;
let compiled: string;

const SOURCE = `extern int x;
extern int y;
extern int z;
int get_x(void) { return x; }
int get_sum(void) { return x + y; }
int get_z(void) { return z + y; }
`;

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'klp-convert-' });
  compiled = await compile(tmp.path, 'conv/livepatch.c', SOURCE);
});
afterAll(async () => tmp?.cleanup());

let counter = 0;
/** Read the compiled object, give symbols livepatch names, write it and read it back (as the post-link step gets the .ko). */
async function withKlpNames(renames: Record<string, string>): Promise<ElfFile> {
  const model = await readElf(compiled);
  for (const symbol of model.symbols) {
    const name = renames[symbol.name];
    if (name !== undefined) symbol.name = name;
  }
  model.invalidateIndexes();
  const path = join(tmp.path, `renamed-${counter++}.o`);
  await writeFile(path, writeRelocatable(model));
  return readElf(path);
}

async function writeConverted(model: ElfFile): Promise<string> {
  const path = join(tmp.path, `converted-${counter++}.ko`);
  await writeFile(path, writeRelocatable(model));
  return path;
}

interface ReadelfSection {
  index: number;
  name: string;
  type: string;
  flags: string;
  link: number;
  info: number;
}

/** `readelf -S -W` section lines. */
async function readelfSections(path: string): Promise<ReadelfSection[]> {
  const { stdout } = await execa('readelf', ['-S', '-W', path]);
  return stdout.split('\n').flatMap((line) => {
    const m =
      /^\s*\[\s*(\d+)\] (\S+)\s+(\S+)\s+[0-9a-f]+ [0-9a-f]+ [0-9a-f]+ [0-9a-f]+\s+([A-Za-z]*)\s+(\d+)\s+(\d+)\s+\d+$/.exec(
        line,
      );
    return m
      ? [{ index: Number(m[1]), name: m[2]!, type: m[3]!, flags: m[4]!, link: Number(m[5]), info: Number(m[6]) }]
      : [];
  });
}

/** Numeric sh_flags of a section, from `readelf -S -t` (section details). */
async function numericFlags(path: string, name: string): Promise<number> {
  const { stdout } = await execa('readelf', ['-S', '-W', '-t', path]);
  const lines = stdout.split('\n');
  const at = lines.findIndex((line) => line.trim().endsWith(`] ${name}`));
  for (const line of lines.slice(at + 1, at + 5)) {
    const m = /\[([0-9a-f]{8,16})\]/.exec(line);
    if (m) return Number.parseInt(m[1]!, 16);
  }
  throw new Error(`no flags for ${name}`);
}

describe('convertToLivepatchFormat', () => {
  it('moves relocations against .klp.sym symbols to .klp.rela sections and marks the symbols SHN_LIVEPATCH', async () => {
    const model = await withKlpNames({ x: '.klp.sym.vmlinux.x,0' });
    const summary = convertToLivepatchFormat(model);
    expect(summary).toEqual({
      klpRelaSections: { '.klp.rela.vmlinux..text.get_x': 1, '.klp.rela.vmlinux..text.get_sum': 1 },
      klpSymbols: ['.klp.sym.vmlinux.x,0'],
    });

    const klpRela = model.sectionByName('.klp.rela.vmlinux..text.get_sum') as ElfRelocationSection;
    expect(klpRela.flags).toBe(SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH);
    expect(klpRela.target).toBe(model.sectionByName('.text.get_sum'));
    expect(model.symbolByName('.klp.sym.vmlinux.x,0')?.shndx).toBe(SHN_LIVEPATCH);

    const path = await writeConverted(model);
    const check = await execa('readelf', ['-S', '-s', '-r', '-W', path]);
    expect(check.stderr).toBe('');

    const sections = await readelfSections(path);
    const byName = (name: string) => sections.find((s) => s.name === name);
    const symtab = sections.find((s) => s.type === 'SYMTAB')!;
    for (const name of ['get_x', 'get_sum']) {
      const klp = byName(`.klp.rela.vmlinux..text.${name}`);
      expect(klp, name).toMatchObject({ type: 'RELA', info: byName(`.text.${name}`)!.index, link: symtab.index });
      expect(klp!.flags).toContain('A');
      expect(klp!.flags).toContain('I');
      expect(klp!.flags).toContain('o');
      expect(await numericFlags(path, `.klp.rela.vmlinux..text.${name}`)).toBe(0x100042);
    }
    expect(byName('.klp.rela.vmlinux..text.get_z')).toBeUndefined();

    const relocations = check.stdout.split('\n\n').filter((block) => block.includes('Relocation section'));
    const block = (name: string) => relocations.find((b) => b.includes(`'${name}'`)) ?? '';
    expect(block('.klp.rela.vmlinux..text.get_x')).toMatch(/R_X86_64_PC32\s+0+ \.klp\.sym\.vmlinux\.x,0 - 4/);
    expect(block('.rela.text.get_sum')).toMatch(/contains 1 entry/);
    expect(block('.rela.text.get_sum')).toMatch(/R_X86_64_PC32\s+0+ y - 4/);
    expect(block('.klp.rela.vmlinux..text.get_sum')).toMatch(/contains 1 entry/);
    expect(block('.rela.text.get_z')).toMatch(/contains 2 entries/);

    const symbolLine = check.stdout.split('\n').find((line) => line.endsWith(' .klp.sym.vmlinux.x,0'));
    expect(symbolLine).toMatch(/NOTYPE\s+GLOBAL\s+DEFAULT\s+OS \[0xff20\] /);
    const y = check.stdout.split('\n').find((line) => line.endsWith(' y'));
    expect(y).toMatch(/GLOBAL\s+DEFAULT\s+UND y$/);
  });

  it('keeps the symbol index 0xff20 when read back with the ELF model', async () => {
    const model = await withKlpNames({ x: '.klp.sym.vmlinux.x,0' });
    convertToLivepatchFormat(model);
    const back = await readElf(await writeConverted(model));
    expect(back.symbolByName('.klp.sym.vmlinux.x,0')).toMatchObject({ shndx: SHN_LIVEPATCH, section: undefined });
    const klp = back.sectionByName('.klp.rela.vmlinux..text.get_x') as ElfRelocationSection;
    expect(klp.hasFlag(SHF_RELA_LIVEPATCH)).toBe(true);
    expect(klp.target.name).toBe('.text.get_x');
    expect(klp.relocations.map((r) => r.symbol.name)).toEqual(['.klp.sym.vmlinux.x,0']);
  });

  it('never mixes the relocations of two objects in one section', async () => {
    const model = await withKlpNames({ x: '.klp.sym.vmlinux.x,0', z: '.klp.sym.demo_mod.z,2' });
    const summary = convertToLivepatchFormat(model);
    expect(summary.klpRelaSections).toEqual({
      '.klp.rela.vmlinux..text.get_x': 1,
      '.klp.rela.vmlinux..text.get_sum': 1,
      '.klp.rela.demo_mod..text.get_z': 1,
    });
    expect(summary.klpSymbols.sort()).toEqual(['.klp.sym.demo_mod.z,2', '.klp.sym.vmlinux.x,0']);
    const sections = await readelfSections(await writeConverted(model));
    expect(
      sections
        .filter((s) => s.name.startsWith('.klp.rela.'))
        .map((s) => s.name)
        .sort(),
    ).toEqual(['.klp.rela.demo_mod..text.get_z', '.klp.rela.vmlinux..text.get_sum', '.klp.rela.vmlinux..text.get_x']);
  });

  it('changes nothing more when run twice, and nothing at all without livepatch symbols', async () => {
    const model = await withKlpNames({ x: '.klp.sym.vmlinux.x,0' });
    convertToLivepatchFormat(model);
    const sectionCount = model.sections.length;
    expect(convertToLivepatchFormat(model)).toEqual({ klpRelaSections: {}, klpSymbols: ['.klp.sym.vmlinux.x,0'] });
    expect(model.sections).toHaveLength(sectionCount);

    const plain = await withKlpNames({});
    const before = writeRelocatable(plain);
    expect(convertToLivepatchFormat(plain)).toEqual({ klpRelaSections: {}, klpSymbols: [] });
    expect(writeRelocatable(plain).equals(before)).toBe(true);
  });

  it('refuses a livepatch symbol defined in the module', async () => {
    const model = await withKlpNames({ get_x: '.klp.sym.vmlinux.get_x,0' });
    let caught: unknown;
    try {
      convertToLivepatchFormat(model);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UserError);
    expect((caught as UserError).message).toContain('.klp.sym.vmlinux.get_x,0 is defined in the module');
  });
});
