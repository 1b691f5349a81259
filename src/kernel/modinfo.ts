import { readModinfo, type ElfFile, type ModinfoEntry } from '../elf/index.js';

/** A module's .modinfo entries, in order ([] without the section). */
export function modinfoEntries(ko: ElfFile): ModinfoEntry[] {
  const section = ko.sectionByName('.modinfo');
  return section ? readModinfo(section) : [];
}

/** The value of KEY among ENTRIES (its first entry of that key), if any. */
export function modinfoEntryValue(entries: readonly ModinfoEntry[], key: string): string | undefined {
  return entries.find((entry) => entry.key === key)?.value;
}

/** The value of KEY in a module's .modinfo (its first entry of that key), if any. */
export function modinfoValue(ko: ElfFile, key: string): string | undefined {
  return modinfoEntryValue(modinfoEntries(ko), key);
}
