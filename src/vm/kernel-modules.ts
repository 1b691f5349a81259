import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readElf } from '../elf/index.js';
import { modinfoValue } from '../klp/check-module.js';
import { moduleNameOf } from '../kbuild/object-index.js';
import { UserError } from '../util/errors.js';

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

/**
 * Modules of a kernel's modules directory and what each needs first (.modinfo "depends"), so a
 * module can be loaded with insmod in a guest that has no modprobe database.
 */
export class KernelModules {
  private constructor(private readonly byName: ReadonlyMap<string, string>) {}

  static async read(modulesDir: string): Promise<KernelModules> {
    const files = await readdir(modulesDir, { recursive: true }).catch(() => [] as string[]);
    return new KernelModules(new Map(files.filter((f) => f.endsWith('.ko')).map((f) => [moduleNameOf(f), join(modulesDir, f)])));
  }

  /** Paths of NAMES and everything they depend on, dependencies first. */
  async withDependencies(names: readonly string[]): Promise<string[]> {
    const order: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = async (name: string, chain: string[]): Promise<void> => {
      const key = name.replace(/-/g, '_');
      if (state.get(key) === 'done') return;
      if (state.get(key) === 'visiting') throw new UserError(`module dependency cycle: ${[...chain, key].join(' -> ')}`);
      const path = this.byName.get(key);
      if (!path) throw new UserError(`module ${key} is not among the kernel's modules${chain.length ? ` (needed by ${chain[chain.length - 1]})` : ''}`);
      state.set(key, 'visiting');
      const depends = modinfoValue(await readElf(path), 'depends') ?? '';
      for (const dep of depends.split(',').filter(Boolean)) await visit(dep, [...chain, key]);
      state.set(key, 'done');
      order.push(path);
    };
    for (const name of names) await visit(name, []);
    return order;
  }
}
