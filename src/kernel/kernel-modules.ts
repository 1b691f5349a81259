import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { ModinfoEntry } from '../elf/index.js';
import { modinfoEntries, modinfoEntryValue } from './modinfo.js';
import { isModuleFile, moduleElfPath, moduleElves, readModuleElf } from './module-file.js';
import { kernelModuleName, moduleNameOf } from './module-name.js';
import { UserError } from '../util/errors.js';

/** The modules a `softdep` line of .modinfo wants loaded first ("pre: a b post: c" gives a, b). */
export function softPreDependencies(softdep: string): string[] {
  const pre = /(?:^|\s)pre:\s*(.*?)(?:\s+post:.*)?$/.exec(softdep.trim());
  return pre ? pre[1]!.split(/\s+/).filter(Boolean) : [];
}

/**
 * Modules of a kernel's modules directory and what each needs first, so a module can be loaded
 * with insmod in a guest that has no modprobe database: its .modinfo "depends", and the "pre:"
 * soft dependencies modprobe would load (libcrc32c needs the crc32c algorithm, which no
 * "depends" names: without it nf_conntrack fails with "Unknown symbol crc32c"). Module files
 * are `.ko` or `.ko.xz` (module-file.ts); paths given out are the files of the directory.
 */
export class KernelModules {
  private aliases: Promise<Map<string, string[]>> | undefined;
  /** Each module's .modinfo entries by path, read once. */
  private readonly modinfos = new Map<string, Promise<ModinfoEntry[]>>();

  private constructor(
    private readonly modulesDir: string,
    private readonly byName: ReadonlyMap<string, string>,
  ) {}

  /** Whether the kernel has module NAME (underscores or dashes). */
  has(name: string): boolean {
    return this.byName.has(kernelModuleName(name));
  }

  /** The file of module NAME in the modules directory (.ko or .ko.xz); a clear error when the kernel has none. */
  path(name: string): string {
    const path = this.byName.get(kernelModuleName(name));
    if (!path)
      throw new UserError(`module ${name}: no ${name}.ko (or .ko.xz) under ${this.modulesDir}`, {
        hint: "give the running kernel's modules with --modules-dir",
      });
    return path;
  }

  /** A path to the plain ELF of module NAME (`<name>.ko`): its file, or the decompressed copy of a .ko.xz. */
  async elfPath(name: string): Promise<string> {
    return moduleElfPath(this.path(name));
  }

  /** The module files under SUBDIR of the modules directory (e.g. kernel/crypto). */
  under(subdir: string): string[] {
    const prefix = join(this.modulesDir, subdir) + '/';
    return [...this.byName.values()].filter((path) => path.startsWith(prefix));
  }

  /**
   * The modules under MODULESDIR. A directory that cannot be read is an error, never an empty
   * set: a module patch would otherwise find no object of the kernel and end as "no change".
   * A caller without a modules directory must not call this.
   */
  static async read(modulesDir: string): Promise<KernelModules> {
    const files = await readdir(modulesDir, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
      throw new UserError(
        `cannot read the kernel's modules directory "${modulesDir}": ${error.code ?? error.message}`,
        {
          cause: error,
          hint: "the running kernel's /lib/modules/<release> (--modules-dir, or the kernel package of --kernel)",
        },
      );
    });
    return new KernelModules(
      modulesDir,
      new Map(files.filter(isModuleFile).map((f) => [moduleNameOf(f), join(modulesDir, f)])),
    );
  }

  /** The .modinfo entries of the module file PATH, read once. */
  private modinfo(path: string): Promise<ModinfoEntry[]> {
    if (!this.modinfos.has(path)) this.modinfos.set(path, readModuleElf(path).then(modinfoEntries));
    return this.modinfos.get(path)!;
  }

  /** Read the .modinfo of the module files PATHS not read yet, many compressed modules per xz. */
  private async readModinfos(paths: Iterable<string>): Promise<void> {
    const unread = [...new Set(paths)].filter((path) => !this.modinfos.has(path));
    for await (const { file, elf } of moduleElves(unread))
      this.modinfos.set(file, Promise.resolve(modinfoEntries(elf)));
  }

  /** Module names by the exact (wildcard-free) aliases of their .modinfo, read once. */
  private aliasIndex(): Promise<Map<string, string[]>> {
    this.aliases ??= (async () => {
      await this.readModinfos(this.byName.values());
      const index = new Map<string, string[]>();
      for (const [name, path] of this.byName) {
        for (const entry of await this.modinfo(path)) {
          if (entry.key !== 'alias' || /[*?[]/.test(entry.value)) continue;
          index.set(entry.value, [...(index.get(entry.value) ?? []), name]);
        }
      }
      return index;
    })();
    return this.aliases;
  }

  /**
   * The module a soft dependency NAME means: the module of that name, else one whose alias it
   * is, preferring the generic implementation under crypto/ (an accelerated one may refuse the
   * guest's CPU). Undefined when none is found: modprobe too goes on without it.
   */
  private async softDependency(name: string): Promise<string | undefined> {
    if (this.has(name)) return kernelModuleName(name);
    const providers = (await this.aliasIndex()).get(name) ?? [];
    const generic = providers.find((provider) =>
      /(^|\/)crypto\//.test(relative(this.modulesDir, this.byName.get(provider)!).replace(/^kernel\//, '')),
    );
    return generic ?? providers[0];
  }

  /**
   * Files of NAMES and everything they depend on (soft "pre:" dependencies too), dependencies
   * first: the files of the modules directory, .ko or .ko.xz (module-file.ts reads either).
   */
  async withDependencies(names: readonly string[]): Promise<string[]> {
    await this.readModinfos(names.flatMap((name) => this.byName.get(kernelModuleName(name)) ?? []));
    const order: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = async (name: string, chain: string[], optional = false): Promise<void> => {
      const key = kernelModuleName(name);
      if (state.get(key) === 'done' || (optional && state.get(key) === 'visiting')) return;
      if (state.get(key) === 'visiting')
        throw new UserError(`module dependency cycle: ${[...chain, key].join(' -> ')}`);
      const path = this.byName.get(key);
      if (!path)
        throw new UserError(
          `module ${key} is not among the kernel's modules${chain.length ? ` (needed by ${chain[chain.length - 1]})` : ''}`,
        );
      state.set(key, 'visiting');
      const modinfo = await this.modinfo(path);
      const soft: string[] = [];
      for (const entry of modinfo) {
        if (entry.key !== 'softdep') continue;
        for (const name of softPreDependencies(entry.value)) {
          const module = await this.softDependency(name);
          if (module && module !== key) soft.push(module);
        }
      }
      const depends = (modinfoEntryValue(modinfo, 'depends') ?? '').split(',').filter(Boolean);
      for (const dep of soft) await visit(dep, [...chain, key], true);
      for (const dep of depends) await visit(dep, [...chain, key]);
      state.set(key, 'done');
      order.push(path);
    };
    for (const name of names) await visit(name, []);
    return order;
  }
}
