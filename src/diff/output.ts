/**
 * Write the patch object: the selected sections and symbols of the patched object, with the
 * special sections as rebuilt, a regenerated `__mcount_loc`, the imported namespaces, and the
 * replaced functions made local (nothing else in the patch module may call them before the
 * livepatch core has resolved their relocations).
 */
import { writeFileSync } from 'node:fs';
import { ElfFile } from '../elf/model/elf-file.js';
import { ElfRelocationSection } from '../elf/model/relocation-section.js';
import { ElfSection } from '../elf/model/section.js';
import { ElfSymbol } from '../elf/model/symbol.js';
import { ElfSymbolTable } from '../elf/model/symbol-table.js';
import { writeRelocatable } from '../elf/write/write-relocatable.js';
import {
  SHF_ALLOC,
  SHF_INFO_LINK,
  SHF_LINK_ORDER,
  SHN_UNDEF,
  SHT_GROUP,
  SHT_PROGBITS,
  SHT_STRTAB,
  SHT_SYMTAB,
  STB_LOCAL,
  STT_FILE,
  STT_FUNC,
  STT_SECTION,
} from '../elf/constants.js';
import { MCOUNT_LOCATIONS } from '../arch/x86_64/special-sections.js';
import { UserError } from '../util/errors.js';
import { isDebugSection, isRelaSection, type DiffObject, type DiffSection, type DiffSymbol } from './model.js';
import { mcountSites, MCOUNT_RELOCATION_TYPE } from './mcount.js';
import { importedNamespaces, modinfoImports } from './imported-namespaces.js';

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length);
}

function outputSections(patched: DiffObject): DiffSection[] {
  return patched.sections.filter(
    (section) =>
      section.include &&
      section.type !== SHT_GROUP &&
      section.type !== SHT_SYMTAB &&
      section.type !== SHT_STRTAB &&
      !isDebugSection(section) &&
      section.name !== MCOUNT_LOCATIONS.name &&
      (!isRelaSection(section) || section.base?.include === true),
  );
}

/** Symbols in the order the reference tools write them: file, local functions, other locals, globals. */
function outputSymbols(patched: DiffObject): DiffSymbol[] {
  const included = patched.symbols.slice(1).filter((symbol) => symbol.include);
  const rank = (symbol: DiffSymbol): number => {
    if (symbol.type === STT_FILE) return 0;
    if (symbol.bind === STB_LOCAL && symbol.type === STT_FUNC) return 1;
    if (symbol.bind === STB_LOCAL) return 2;
    return 3;
  };
  return included
    .map((symbol, order) => ({ symbol, order }))
    .sort((a, b) => rank(a.symbol) - rank(b.symbol) || a.order - b.order)
    .map((e) => e.symbol);
}

export function buildPatchObject(patched: DiffObject, path: string): ElfFile {
  // First: restoring nopped-out fentry calls edits function code.
  const sites = mcountSites(patched);
  const selected = outputSections(patched);
  const sectionMap = new Map<DiffSection, ElfSection>();
  const strtab = new ElfSection({ name: '.strtab', type: SHT_STRTAB });
  const shstrtab = new ElfSection({ name: '.shstrtab', type: SHT_STRTAB });
  const symbols: ElfSymbol[] = [new ElfSymbol({ name: '' })];
  const symtab = new ElfSymbolTable({ name: '.symtab', link: strtab }, symbols);
  const sections: ElfSection[] = [new ElfSection({ name: '', type: 0 })];

  for (const view of selected) {
    if (isRelaSection(view)) continue;
    const section = new ElfSection({
      name: view.name,
      type: view.type,
      flags: view.flags,
      addralign: view.addralign,
      entsize: view.entsize,
      info: view.info,
      data: asBuffer(view.data),
      size: view.size,
    });
    sectionMap.set(view, section);
    sections.push(section);
  }
  const outputOfSource = new Map<ElfSection, ElfSection>();
  for (const [view, section] of sectionMap)
    if (!outputOfSource.has(view.source)) outputOfSource.set(view.source, section);
  for (const view of selected) {
    const section = sectionMap.get(view);
    const link = view.source.link;
    if (!section || !link) continue;
    const linked = outputOfSource.get(link);
    if (linked) section.link = linked;
    else section.setFlag(SHF_LINK_ORDER, false);
  }

  const symbolMap = new Map<DiffSymbol, ElfSymbol>();
  for (const view of outputSymbols(patched)) {
    const section = view.section ? sectionMap.get(view.section) : undefined;
    if (view.type === STT_SECTION && !section) continue;
    const replaced = view.type === STT_FUNC && view.status === 'changed' && !view.parent;
    const symbol = new ElfSymbol({
      name: view.type === STT_SECTION ? '' : view.name,
      value: section ? BigInt(view.value) : 0n,
      size: view.size,
      type: view.type,
      bind: replaced ? STB_LOCAL : view.bind,
      other: view.other,
      section,
      shndx: section ? view.shndx : view.section ? SHN_UNDEF : view.shndx,
    });
    symbolMap.set(view, symbol);
    symbols.push(symbol);
  }

  const symbolFor = (view: DiffSymbol, where: string): ElfSymbol => {
    const symbol = symbolMap.get(view);
    if (!symbol)
      throw new UserError(
        `${patched.path}: ${where} refers to ${view.name}, which is not in the patch (internal selection error)`,
      );
    return symbol;
  };
  for (const view of selected) {
    if (!isRelaSection(view) || !view.base) continue;
    const target = sectionMap.get(view.base)!;
    const relocations = view.relocations.map((relocation) => ({
      offset: relocation.offset,
      type: relocation.type,
      symbol: symbolFor(relocation.symbol, view.name),
      addend: BigInt(relocation.addend),
    }));
    sections.push(
      new ElfRelocationSection(
        { name: view.name, target, link: symtab, flags: view.flags | SHF_INFO_LINK },
        relocations,
      ),
    );
  }

  if (sites.length > 0) {
    const mcount = new ElfSection({
      name: MCOUNT_LOCATIONS.name,
      type: SHT_PROGBITS,
      flags: SHF_ALLOC,
      addralign: 8,
      data: Buffer.alloc(sites.length * MCOUNT_LOCATIONS.entrySize),
    });
    sections.push(mcount);
    const relocations = sites.map((site, i) => ({
      offset: i * MCOUNT_LOCATIONS.entrySize,
      type: MCOUNT_RELOCATION_TYPE,
      symbol: symbolFor(site.function, MCOUNT_LOCATIONS.name),
      addend: BigInt(site.addend),
    }));
    sections.push(
      new ElfRelocationSection(
        { name: `.rela${MCOUNT_LOCATIONS.name}`, target: mcount, link: symtab, flags: SHF_INFO_LINK },
        relocations,
      ),
    );
  }

  const modinfo = modinfoImports(importedNamespaces(patched));
  // Allocated like every module's .modinfo, so that linking merges it with the livepatch module's own.
  if (modinfo)
    sections.push(
      new ElfSection({ name: modinfo.name, type: SHT_PROGBITS, flags: SHF_ALLOC, addralign: 1, data: modinfo.data }),
    );

  sections.push(symtab, strtab, shstrtab);
  return new ElfFile(path, { ...patched.header, entry: 0n }, sections, shstrtab);
}

export function writePatchObject(patched: DiffObject, path: string): void {
  const file = buildPatchObject(patched, path);
  try {
    writeFileSync(path, writeRelocatable(file));
  } catch (error) {
    throw new UserError(
      `${path}: cannot write the patch object: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
