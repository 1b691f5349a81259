import { ELF64_RELA_SIZE, ET_REL, SHT_NOBITS } from '../constants.js';
import type { Relocation } from '../model/relocation.js';
import type { ElfSection } from '../model/section.js';
import type { ElfSymbol } from '../model/symbol.js';
import type { FileView } from './file-view.js';

/** Relocation type 0 is "none" on every architecture. */
const R_NONE = 0;

/**
 * Decodes the `bytes` of a RELA section (already checked: entsize, whole entries, symbol
 * table link, target index). Offsets become offsets inside the target section (r_offset -
 * sh_addr in executables); symbols become objects.
 */
export function decodeRelocations(
  view: FileView,
  bytes: Buffer,
  name: string,
  target: ElfSection,
  symbols: readonly ElfSymbol[],
  fileType: number,
): Relocation[] {
  const buffer = bytes;
  const count = bytes.length / ELF64_RELA_SIZE;
  const base = fileType === ET_REL ? 0n : target.addr;
  const limit = target.type === SHT_NOBITS ? 0 : target.size;
  const relocations = new Array<Relocation>(count);
  const limitBig = BigInt(limit);
  for (let i = 0; i < count; i++) {
    const at = i * ELF64_RELA_SIZE;
    const type = buffer.readUInt32LE(at + 8);
    const rawOffset = buffer.readBigUInt64LE(at);
    // An all-zero R_*_NONE entry has no place: the kernel's sorttable clears the relocations
    // of the tables it sorts in vmlinux (e.g. __ex_table) this way. It stays at offset 0.
    const relative = type === R_NONE && rawOffset === 0n ? 0n : rawOffset - base;
    const symbolIndex = buffer.readUInt32LE(at + 12);
    const symbol = symbols[symbolIndex];
    if (symbol === undefined) {
      view.fail(`relocation ${i} of ${name} refers to symbol ${symbolIndex}, but the symbol table has ${symbols.length}`);
    }
    if (relative < 0n || (relative >= limitBig && !(relative === 0n && type === R_NONE))) {
      view.fail(`relocation ${i} of ${name} applies at offset ${relative}, outside ${target.name} (${limit} bytes)`);
    }
    relocations[i] = {
      offset: Number(relative),
      type,
      symbol,
      addend: buffer.readBigInt64LE(at + 16),
    };
  }
  return relocations;
}
