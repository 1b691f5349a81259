import { readModinfo, type ElfFile } from '../elf/index.js';

/** The value of KEY in a module's .modinfo (its first entry of that key), if any. */
export function modinfoValue(ko: ElfFile, key: string): string | undefined {
  const section = ko.sectionByName('.modinfo');
  return section ? readModinfo(section).find((entry) => entry.key === key)?.value : undefined;
}
