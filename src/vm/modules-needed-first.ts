import type { ElfFile } from '../elf/index.js';
import { modinfoValue } from '../kernel/modinfo.js';
import { readModuleElf } from '../kernel/module-file.js';

/**
 * The modules a livepatch module patches: its .modinfo livepatch_objects (tsbuild-patch's
 * modules), and the NAME of its .klp.rela.NAME.* sections (any livepatch with relocations).
 */
function targetsOf(elf: ElfFile): string[] {
  const names = new Set<string>(
    modinfoValue(elf, 'livepatch_objects')
      ?.split(',')
      .filter((n) => n && n !== 'vmlinux') ?? [],
  );
  for (const section of elf.sections) {
    const name = /^\.klp\.rela\.([^.]+)\./.exec(section.name)?.[1];
    if (name && name !== 'vmlinux') names.add(name);
  }
  return [...names].sort();
}

/**
 * The kernel's modules to load before module KO: for a livepatch, the modules it patches; for
 * any module, those whose exports it uses (.modinfo depends), as modprobe would.
 */
export async function modulesNeededFirst(ko: string): Promise<string[]> {
  const elf = await readModuleElf(ko);
  const depends = modinfoValue(elf, 'depends')?.split(',').filter(Boolean) ?? [];
  return [...new Set([...targetsOf(elf), ...depends])].sort();
}
