/**
 * The patch objects of a kernel that runs objtool on linked modules: objtool's tables removed
 * (with their relocations and section symbols), everything else kept as it was, and the rule
 * of which kernels do that read from their .config.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readElf } from '../../../src/elf/index.js';
import { removeSections } from '../../../src/elf/edit/remove-sections.js';
import { ElfModelError } from '../../../src/elf/errors.js';
import { removeObjtoolTables } from '../../../src/emit/objtool-tables.js';
import { objtoolRunsOnLinkedModules } from '../../../src/kernel/objtool-link.js';
import { CORPUS_DIR, requireCorpus } from '../diff/corpus-cases.js';
import { readelf } from '../diff/binutils.js';

let tmp: DirectoryResult;
beforeAll(async () => {
  requireCorpus();
  tmp = await dir({ unsafeCleanup: true });
});
afterAll(async () => {
  await tmp.cleanup();
});

/** A real object from the peer corpus, compiled with objtool (ORC, return and call sites). */
const OBJECT = () => join(CORPUS_DIR, 'cmdline-ubsan.ORIG.o');

describe("objtool's tables", () => {
  it('are removed from an object objtool processed, and nothing else is', async () => {
    const copy = join(tmp.path, 'processed.o');
    await copyFile(OBJECT(), copy);
    const before = await readElf(copy);
    const kept = before.sections.map((s) => s.name).filter((n) => !/orc_unwind|call_sites|return_sites/.test(n));
    const removed = await removeObjtoolTables(copy);
    expect(removed.sort()).toEqual(
      [
        '.call_sites',
        '.orc_unwind',
        '.orc_unwind_ip',
        '.rela.call_sites',
        '.rela.orc_unwind_ip',
        '.rela.return_sites',
        '.return_sites',
      ].sort(),
    );
    const after = await readElf(copy);
    expect(after.sections.map((s) => s.name)).toEqual(kept);
    // binutils reads it whole; every symbol left has its section.
    readelf(['-aW', copy]);
    for (const symbol of after.symbols.slice(1)) if (symbol.section) expect(after.sections).toContain(symbol.section);
    expect(after.symbols.length).toBe(
      before.symbols.length - before.symbols.filter((s) => s.section && !kept.includes(s.section.name)).length,
    );
    // Nothing left to remove: the object is not rewritten.
    expect(await removeObjtoolTables(copy)).toEqual([]);
  });

  it('are not removed when a relocation elsewhere points into them (the object would lose what it means)', async () => {
    const again = await readElf(OBJECT());
    const target = again.relocationSections.find((r) => r.name === '.rela.orc_unwind_ip')!.relocations[0]!.symbol
      .section!;
    expect(() => removeSections(again, (s) => s === target)).toThrow(ElfModelError);
  });
});

describe('kernels that run objtool on a linked module', () => {
  it("are those with IBT, clang LTO or KLP_BUILD (kbuild's delay-objtool)", () => {
    expect(objtoolRunsOnLinkedModules('CONFIG_X86_KERNEL_IBT=y\n')).toBe(true);
    expect(objtoolRunsOnLinkedModules('CONFIG_LTO_CLANG=y\n')).toBe(true);
    expect(objtoolRunsOnLinkedModules('CONFIG_KLP_BUILD=y\n')).toBe(true);
    expect(objtoolRunsOnLinkedModules('# CONFIG_X86_KERNEL_IBT is not set\nCONFIG_OBJTOOL=y\n')).toBe(false);
  });
});
