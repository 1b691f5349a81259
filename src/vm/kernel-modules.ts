import { readElf } from '../elf/index.js';
import { modinfoValue } from '../klp/check-module.js';

/**
 * The modules a livepatch module patches: its .modinfo livepatch_objects (tsbuild-patch's
 * modules), and the NAME of its .klp.rela.NAME.* sections (any livepatch with relocations).
 */
export async function livepatchTargetModules(ko: string): Promise<string[]> {
  const elf = await readElf(ko);
  const names = new Set<string>(modinfoValue(elf, 'livepatch_objects')?.split(',').filter((n) => n && n !== 'vmlinux') ?? []);
  for (const section of elf.sections) {
    const name = /^\.klp\.rela\.([^.]+)\./.exec(section.name)?.[1];
    if (name && name !== 'vmlinux') names.add(name);
  }
  return [...names].sort();
}
