import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readElf } from '../elf/index.js';
import { modinfoValue } from '../klp/check-module.js';
import { moduleNameOf } from '../kbuild/object-index.js';
import { UserError } from '../util/errors.js';

/**
 * Modules of a kernel's modules directory and what each needs first (.modinfo "depends"), so a
 * module can be loaded with insmod in a guest that has no modprobe database.
 */
export class KernelModules {
  private constructor(private readonly modulesDir: string, private readonly byName: ReadonlyMap<string, string>) {}

  /** Whether the kernel has module NAME (underscores or dashes). */
  has(name: string): boolean {
    return this.byName.has(name.replace(/-/g, '_'));
  }

  /** The .ko of module NAME; a clear error when the kernel has none. */
  path(name: string): string {
    const path = this.byName.get(name.replace(/-/g, '_'));
    if (!path) throw new UserError(`module ${name}: no ${name}.ko under ${this.modulesDir || '(no --modules-dir)'}`, { hint: 'give the running kernel\'s modules with --modules-dir' });
    return path;
  }

  static async read(modulesDir: string): Promise<KernelModules> {
    const files = await readdir(modulesDir, { recursive: true }).catch(() => [] as string[]);
    return new KernelModules(modulesDir, new Map(files.filter((f) => f.endsWith('.ko')).map((f) => [moduleNameOf(f), join(modulesDir, f)])));
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
