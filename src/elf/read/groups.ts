import { GROUP_ENTRY_SIZE } from '../constants.js';
import type { GroupContents } from '../model/group-section.js';
import type { ElfSection } from '../model/section.js';
import type { ElfSymbol } from '../model/symbol.js';
import type { FileView } from './file-view.js';
import type { RawSectionHeader } from './elfy-adapter.js';

/** Decodes an SHT_GROUP section: flag word, member section indexes, signature symbol. */
export function decodeGroup(
  view: FileView,
  raw: RawSectionHeader,
  name: string,
  sections: readonly ElfSection[],
  symbols: readonly ElfSymbol[],
): GroupContents {
  const signature = symbols[raw.info];
  if (signature === undefined) {
    view.fail(`group ${name} names signature symbol ${raw.info}, but the symbol table has ${symbols.length}`);
  }
  const buffer = view.buffer;
  const members: ElfSection[] = [];
  for (let at = raw.offset + GROUP_ENTRY_SIZE; at < raw.offset + raw.size; at += GROUP_ENTRY_SIZE) {
    const index = buffer.readUInt32LE(at);
    const member = index === 0 ? undefined : sections[index];
    if (member === undefined) view.fail(`group ${name} lists section ${index}, which does not exist`);
    members.push(member);
  }
  return { flags: buffer.readUInt32LE(raw.offset), signature, members };
}
