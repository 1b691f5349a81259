/**
 * Turn relocations against section symbols into relocations against the function or object
 * they point into. Compilers often write `.text.foo + 0x10` or `.data + 0x40` instead of the
 * symbol; naming the symbol is what makes references comparable between the two objects and
 * resolvable against the running kernel later.
 */
import { STT_SECTION } from '../elf/constants.js';
import { R_X86_64_32S, R_X86_64_64, R_X86_64_PC32, R_X86_64_PLT32 } from '../arch/x86_64/relocations.js';
import { instructionAt, instructionStarts } from '../arch/x86_64/insn-length.js';
import {
  isDebugSection,
  isRelaSection,
  isTextSection,
  type DiffObject,
  type DiffRelocation,
  type DiffSection,
  type DiffSymbol,
} from './model.js';

/**
 * Distance from a PC-relative relocation's field to the end of its instruction: the CPU adds
 * the displacement to the address of the next instruction, so `addend + distance` is the
 * offset of the target inside the referenced section.
 */
function pcRelativeBias(section: DiffSection, relocation: DiffRelocation): number {
  if (!isTextSection(section)) return 0;
  if (section.instructionStarts === undefined) section.instructionStarts = instructionStarts(section.data) ?? null;
  const starts = section.instructionStarts;
  const instruction = starts ? instructionAt(starts, relocation.offset) : undefined;
  // Undecodable bytes (data emitted into text): assume the 32-bit field ends the instruction.
  return instruction ? instruction.end - relocation.offset : PC32_FIELD_SIZE;
}

const PC32_FIELD_SIZE = 4;

const NO_SYMBOLS: readonly DiffSymbol[] = [];

/** Symbols (not section symbols) of each section, in symbol table order. */
function symbolsBySection(object: DiffObject): Map<DiffSection, DiffSymbol[]> {
  const bySection = new Map<DiffSection, DiffSymbol[]>();
  const symbols = object.symbols;
  for (let i = 0; i < symbols.length; i++) {
    const symbol = symbols[i]!;
    if (symbol.type === STT_SECTION || !symbol.section) continue;
    let list = bySection.get(symbol.section);
    if (!list) bySection.set(symbol.section, (list = []));
    list.push(symbol);
  }
  return bySection;
}

/**
 * Runs over every relocation of the object (indexed loops: most of it runs before the JIT
 * has warmed up, where for-of pays an iterator result per element).
 */
export function replaceSectionReferences(object: DiffObject): void {
  const candidates = symbolsBySection(object);
  const sections = object.sections;
  for (let s = 0; s < sections.length; s++) {
    const rela = sections[s]!;
    if (!isRelaSection(rela) || isDebugSection(rela) || !rela.base) continue;
    const relocations = rela.relocations;
    for (let r = 0; r < relocations.length; r++) {
      const relocation = relocations[r]!;
      const target = relocation.symbol;
      if (target.type !== STT_SECTION || !target.section) continue;
      const section = target.section;
      if (section.bundled) {
        relocation.symbol = section.bundled;
        relocation.addend -= section.bundled.value;
        continue;
      }
      let bias: number;
      if (relocation.type === R_X86_64_PC32 || relocation.type === R_X86_64_PLT32) {
        bias = pcRelativeBias(rela.base, relocation);
      } else if (relocation.type === R_X86_64_64 || relocation.type === R_X86_64_32S) {
        bias = 0;
      } else {
        continue;
      }
      const where = relocation.addend + bias;
      for (const symbol of candidates.get(section) ?? NO_SYMBOLS) {
        const start = symbol.value;
        const end = start + symbol.size;
        // A pointer just past the end of a data section (loop bounds) names its last object.
        const pastTheEnd =
          !isTextSection(section) &&
          relocation.type === R_X86_64_32S &&
          relocation.addend === section.size &&
          end === section.size;
        if (!pastTheEnd && (where < start || where >= end)) continue;
        relocation.symbol = symbol;
        relocation.addend -= start;
        break;
      }
    }
  }
}
