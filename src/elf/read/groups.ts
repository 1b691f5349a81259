import { GROUP_ENTRY_SIZE } from '../constants.js';
import type { GroupContents } from '../model/group-section.js';
import type { ElfSection } from '../model/section.js';
import type { ElfSymbol } from '../model/symbol.js';
import type { FileView } from './file-view.js';

/** Decodes the `bytes` of an SHT_GROUP section (sh_info = signatureIndex): flag word, member section indexes, signature symbol. */
export function decodeGroup(
  view: FileView,
  bytes: Buffer,
  signatureIndex: number,
  name: string,
  sections: readonly ElfSection[],
  symbols: readonly ElfSymbol[],
): GroupContents {
  const signature = symbols[signatureIndex];
  if (signature === undefined) {
    view.fail(`group ${name} names signature symbol ${signatureIndex}, but the symbol table has ${symbols.length}`);
  }
  const buffer = bytes;
  const members: ElfSection[] = [];
  for (let at = GROUP_ENTRY_SIZE; at < buffer.length; at += GROUP_ENTRY_SIZE) {
    const index = buffer.readUInt32LE(at);
    const member = index === 0 ? undefined : sections[index];
    if (member === undefined) view.fail(`group ${name} lists section ${index}, which does not exist`);
    members.push(member);
  }
  return { flags: buffer.readUInt32LE(0), signature, members };
}
