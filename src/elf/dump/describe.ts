import { relocationTypeName } from '../../arch/x86_64/relocations.js';
import { SHN_ABS, SHN_COMMON, SHN_LIVEPATCH, SHN_UNDEF } from '../constants.js';
import type { ElfFile } from '../model/elf-file.js';
import type { ElfSymbol } from '../model/symbol.js';

// Plain-text views of a model, for the elf-dump command and for debugging.

const TYPE_NAMES: Record<number, string> = {
  0: 'NULL',
  1: 'PROGBITS',
  2: 'SYMTAB',
  3: 'STRTAB',
  4: 'RELA',
  5: 'HASH',
  6: 'DYNAMIC',
  7: 'NOTE',
  8: 'NOBITS',
  9: 'REL',
  11: 'DYNSYM',
  14: 'INIT_ARRAY',
  15: 'FINI_ARRAY',
  16: 'PREINIT_ARRAY',
  17: 'GROUP',
  18: 'SYMTAB_SHNDX',
};
const SYMBOL_TYPES = ['NOTYPE', 'OBJECT', 'FUNC', 'SECTION', 'FILE', 'COMMON', 'TLS'];
const BINDS = ['LOCAL', 'GLOBAL', 'WEAK'];
const hex = (value: number | bigint): string => `0x${value.toString(16)}`;

export function describeSections(file: ElfFile): string[] {
  return file.sections.map((s, i) => {
    const type = TYPE_NAMES[s.type] ?? hex(s.type);
    const link = s.link === undefined ? '' : ` link=${s.link.name}`;
    return `[${i}] ${s.name || '(null)'} ${type} flags=${hex(s.flags)} addr=${hex(s.addr)} size=${s.size} align=${s.addralign}${link}`;
  });
}

function where(symbol: ElfSymbol): string {
  if (symbol.section !== undefined) return symbol.section.name;
  const special: Record<number, string> = {
    [SHN_UNDEF]: 'UNDEF',
    [SHN_ABS]: 'ABS',
    [SHN_COMMON]: 'COMMON',
    [SHN_LIVEPATCH]: 'LIVEPATCH',
  };
  return special[symbol.shndx] ?? hex(symbol.shndx);
}

export function describeSymbols(file: ElfFile): string[] {
  return file.symbols.map((s, i) => {
    const type = SYMBOL_TYPES[s.type] ?? String(s.type);
    const bind = BINDS[s.bind] ?? String(s.bind);
    return `${i}: ${s.displayName || '(null)'} ${type} ${bind} ${where(s)} value=${hex(s.value)} size=${s.size}`;
  });
}

export function describeRelocations(file: ElfFile): string[] {
  const lines: string[] = [];
  for (const rela of file.relocationSections) {
    lines.push(`${rela.name} -> ${rela.target.name} (${rela.relocations.length})`);
    for (const r of rela.relocations) {
      const addend = r.addend < 0n ? ` - ${hex(-r.addend)}` : ` + ${hex(r.addend)}`;
      lines.push(`  ${hex(r.offset)} ${relocationTypeName(r.type)} ${r.symbol.displayName || '(null)'}${addend}`);
    }
  }
  return lines;
}

export function describeGroups(file: ElfFile): string[] {
  return file.groups.map(
    (g) =>
      `${g.name} [${g.group.signature.displayName}] flags=${hex(g.group.flags)}: ${g.group.members.map((m) => m.name).join(' ')}`,
  );
}
