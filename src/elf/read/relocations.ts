import { ELF64_RELA_SIZE, ET_REL, SHT_NOBITS } from '../constants.js';
import type { Relocation } from '../model/relocation.js';
import type { ElfSection } from '../model/section.js';
import type { ElfSymbol } from '../model/symbol.js';
import type { FileView } from './file-view.js';

/**
 * Decodes the `bytes` of a RELA section (already checked: entsize, size multiple of 24, symbol-table link,
 * target index). Offsets become offsets inside the target section; symbols become objects.
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
  for (let i = 0; i < count; i++) {
    const at = i * ELF64_RELA_SIZE;
    const relative = buffer.readBigUInt64LE(at) - base;
    const symbolIndex = buffer.readUInt32LE(at + 12);
    const symbol = symbols[symbolIndex];
    if (symbol === undefined) {
      view.fail(`relocation ${i} of ${name} refers to symbol ${symbolIndex}, but the symbol table has ${symbols.length}`);
    }
    if (relative < 0n || relative >= BigInt(limit)) {
      view.fail(`relocation ${i} of ${name} applies at offset ${relative}, outside ${target.name} (${limit} bytes)`);
    }
    relocations[i] = {
      offset: Number(relative),
      type: buffer.readUInt32LE(at + 8),
      symbol,
      addend: buffer.readBigInt64LE(at + 16),
    };
  }
  return relocations;
}
