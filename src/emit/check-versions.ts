import type { ElfFile } from '../elf/index.js';
import { RefusedError } from '../util/errors.js';
import type { Refusal } from '../util/refusal.js';
import type { Exports } from '../kernel/symvers.js';

/** One entry of a module's __versions section: the CRC modpost recorded for an imported symbol. */
export interface VersionEntry {
  name: string;
  crc: number;
}

/** x86_64: `struct modversion_info { unsigned long crc; char name[64 - sizeof(unsigned long)]; }`. */
const ENTRY_SIZE = 64;
const CRC_SIZE = 8;

export function readVersions(ko: ElfFile): VersionEntry[] {
  const section = ko.sectionByName('__versions');
  if (!section) return [];
  const data = section.data;
  const entries: VersionEntry[] = [];
  for (let at = 0; at + ENTRY_SIZE <= data.length; at += ENTRY_SIZE) {
    const crc = Number(data.readBigUInt64LE(at) & 0xffffffffn);
    const nameBytes = data.subarray(at + CRC_SIZE, at + ENTRY_SIZE);
    const end = nameBytes.indexOf(0);
    entries.push({ name: nameBytes.subarray(0, end < 0 ? nameBytes.length : end).toString('latin1'), crc });
  }
  return entries;
}

/**
 * The kernel refuses a module (or taints, then misbehaves) when an imported symbol's CRC differs
 * from its own: every CRC in __versions must be the running kernel's Module.symvers entry.
 */
export function checkVersions(ko: ElfFile, exports: Exports): void {
  const problems: Refusal[] = [];
  for (const entry of readVersions(ko)) {
    const exported = exports.get(entry.name);
    if (!exported) {
      // module_layout and friends are checked by the kernel itself against its own layout.
      if (entry.name !== 'module_layout')
        problems.push({ category: 'unexported-symbol', reason: `${entry.name}: not exported by the running kernel` });
      continue;
    }
    const want = Number.parseInt(exported.crc, 16) >>> 0;
    if (want !== entry.crc >>> 0) {
      problems.push({
        category: 'modversions-crc',
        reason: `${entry.name}: CRC 0x${(entry.crc >>> 0).toString(16).padStart(8, '0')} in the module, 0x${want.toString(16).padStart(8, '0')} in the running kernel's Module.symvers (${exported.owner})`,
      });
    }
  }
  if (problems.length > 0) {
    throw new RefusedError(
      `${ko.path}: symbol versions (modversions) do not match the running kernel:\n  ${problems.map((p) => p.reason).join('\n  ')}`,
      problems.map((p) => ({ object: ko.path, ...p })),
      "the module must be built against the running kernel's Module.symvers and headers",
    );
  }
}
