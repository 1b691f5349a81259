import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseElf, writeRelocatable } from '../elf/index.js';
import { removeSections } from '../elf/edit/remove-sections.js';
import { objtoolTables } from '../arch/x86_64/special-sections.js';

/**
 * A patch object as kbuild's objtool run on the linked livepatch module needs it, when the
 * kernel defers objtool to that step (src/kernel/objtool-link.ts): without the tables objtool
 * writes. Objects compiled as modules on their own (binfmt_misc.o) come out of the compiler
 * step already processed; objtool then refuses the linked module ("file already has
 * .orc_unwind section", fatal since Linux 6.15) or skips the table for every function of the
 * module, the skeleton's included. Without them, objtool writes each table once, for all.
 * Rewrites OBJECT in place when it had any; returns the sections removed.
 */
export async function removeObjtoolTables(object: string): Promise<string[]> {
  const tables = new Set(objtoolTables());
  const file = parseElf(await readFile(object), object);
  const removed = removeSections(file, (section) => tables.has(section.name));
  if (removed.length > 0) await writeFile(object, writeRelocatable(file));
  return removed;
}

/**
 * Copies of OBJECTS (file name in the module → path) under DIR without objtool's tables, for a
 * kernel that runs objtool on linked modules; LOG names what was removed from which object.
 */
export async function objectsWithoutObjtoolTables(
  objects: ReadonlyMap<string, string>,
  dir: string,
  log: (message: string) => void,
): Promise<Map<string, string>> {
  await mkdir(dir, { recursive: true });
  const copies = new Map<string, string>();
  for (const [name, path] of objects) {
    const copy = join(dir, name);
    await copyFile(path, copy);
    const removed = await removeObjtoolTables(copy);
    if (removed.length > 0)
      log(`${name}: objtool's tables removed (${removed.join(' ')}); objtool writes them for the linked module`);
    copies.set(name, copy);
  }
  return copies;
}
