/**
 * The module names a kernel already holds for its built-in code, which a loadable module (a
 * livepatch) cannot take: the load fails with EINVAL ("NAME: module is already loaded") when
 * /sys/module/NAME exists. Two sources, both exact:
 * - modules.builtin of the kernel's modules tree: every module built into the image
 *   (kernel/fs/ext4/ext4.ko: ext4);
 * - the vmlinux's built-in module parameters: each `struct kernel_param` of its `__param`
 *   section names a parameter "PREFIX.NAME", and at boot every PREFIX becomes /sys/module/PREFIX
 *   (param_sysfs_builtin), also for code that is no module: Debian's `syscall.x32` makes
 *   `syscall`. The parameter names are read through the entries' name pointers (one read of
 *   `__param` and of the sections the names sit in), not through the symbol table.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readElf, SHT_NOBITS, type ElfFile, type ElfSection } from '../../elf/index.js';
import { moduleNameOf } from '../module-name.js';

/** sizeof(struct kernel_param) on x86_64: name, mod, ops, perm/level/flags (8), the arg union. */
export const KERNEL_PARAM_SIZE = 40;

/** A built-in name, with where it was found (for messages). */
export type BuiltinNames = ReadonlyMap<string, string>;

/** Every built-in module name of the kernel, each with its source: modules.builtin, or a parameter. */
export async function builtinModuleNames(kernel: { vmlinux: string; modulesDir: string }): Promise<BuiltinNames> {
  const names = new Map<string, string>();
  if (kernel.modulesDir) {
    for (const name of await modulesBuiltin(join(kernel.modulesDir, 'modules.builtin')))
      names.set(name, 'modules.builtin');
  }
  for (const parameter of builtinParameters(await readElf(kernel.vmlinux))) {
    const dot = parameter.indexOf('.');
    if (dot <= 0) continue; // a core parameter (panic=): no /sys/module entry
    const name = parameter.slice(0, dot);
    if (!names.has(name)) names.set(name, `its built-in parameter ${parameter}`);
  }
  return names;
}

/** The module names modules.builtin lists (none when the file is missing: no modules tree). */
export async function modulesBuiltin(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map(moduleNameOf);
}

/**
 * The names of the vmlinux's built-in parameters ("syscall.x32", "panic"), from the name
 * pointer at the start of each `struct kernel_param` in `__param`. None when the kernel has no
 * such section; an error when the section is not made of kernel_params whose names can be read
 * (never a silent guess).
 */
export function builtinParameters(vmlinux: ElfFile): string[] {
  const table = vmlinux.sectionByName('__param');
  if (!table || table.size === 0) return [];
  const data = table.data;
  if (data.length % KERNEL_PARAM_SIZE !== 0)
    throw new Error(
      `${vmlinux.path}: __param is ${data.length} bytes, not a whole number of ${KERNEL_PARAM_SIZE}-byte struct kernel_param`,
    );
  const loaded = vmlinux.sections.filter((s) => s.addr !== 0n && s.type !== SHT_NOBITS && s.size > 0);
  const names: string[] = [];
  for (let at = 0; at < data.length; at += KERNEL_PARAM_SIZE) {
    const pointer = data.readBigUInt64LE(at);
    const name = stringAt(loaded, pointer);
    if (name === undefined || !/^[\w.-]+$/.test(name))
      throw new Error(
        `${vmlinux.path}: __param entry ${at / KERNEL_PARAM_SIZE} does not name a parameter (name pointer 0x${pointer.toString(16)})`,
      );
    names.push(name);
  }
  return names;
}

/** The NUL-terminated string at ADDRESS of the loaded image, when a section holds it. */
function stringAt(sections: readonly ElfSection[], address: bigint): string | undefined {
  const section = sections.find((s) => address >= s.addr && address < s.addr + BigInt(s.size));
  if (!section) return undefined;
  const data = section.data;
  const start = Number(address - section.addr);
  const end = data.indexOf(0, start);
  return end < 0 ? undefined : data.toString('latin1', start, end);
}
