import { beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { open, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DirectoryResult } from 'tmp-promise';
import {
  decodeAll,
  ElfRelocationSection,
  ET_EXEC,
  readElf,
  readModinfo,
  writeRelocatable,
  type ElfFile,
} from '../../src/elf/index.js';
import { disassemble, linkRelocatable, readelfAllClean, readelfModuloOffsets } from '../unit/elf/helpers/binutils.js';
import { tempDir } from '../unit/elf/helpers/compile.js';
import { ndxName, SYMBOL_BIND_NAMES, SYMBOL_TYPE_NAMES, VISIBILITY_NAMES } from '../unit/elf/helpers/names.js';
import { parseReadelfRelocations, readelfSymbols } from '../unit/elf/helpers/readelf.js';
import { testKernel } from './test-kernel.js';

// The shared ELF model on the objects of the real test kernel: round trips of kernel objects
// and modules (readelf/objdump/ld as the oracle) and reading vmlinux.

const SAMPLE_SIZE = 20;
let tree: string;
let vmlinux: string;
let tmp: DirectoryResult;
let sample: string[];

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

async function isElf64(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(5), 0, 5, 0);
    return bytesRead === 5 && buffer.toString('latin1', 0, 4) === '\x7fELF' && buffer[4] === 2;
  } finally {
    await handle.close();
  }
}

beforeAll(async () => {
  const kernel = await testKernel();
  tree = kernel.source;
  vmlinux = kernel.vmlinux;
  tmp = await tempDir();
  const objects: string[] = [];
  for await (const path of walk(tree)) {
    if (!path.endsWith('.o') || path === join(tree, 'vmlinux.o')) continue;
    if (await isElf64(path)) objects.push(path);
  }
  objects.sort();
  // Evenly spread over the tree (deterministic), plus the biggest scheduler object.
  const step = Math.max(1, Math.floor(objects.length / SAMPLE_SIZE));
  sample = objects.filter((_, i) => i % step === 0).slice(0, SAMPLE_SIZE);
  const core = join(tree, 'kernel/sched/core.o');
  if (objects.includes(core) && !sample.includes(core)) sample.push(core);
  const modules: string[] = [];
  for await (const path of walk(join(tree, 'samples/livepatch'))) if (path.endsWith('.ko')) modules.push(path);
  sample.push(...modules.sort().slice(0, 2));
  expect(sample.length).toBeGreaterThanOrEqual(SAMPLE_SIZE);
  console.log(`round-trip sample: ${sample.map((p) => relative(tree, p)).join(' ')}`);
  return () => tmp.cleanup();
});

async function roundTrip(input: string): Promise<string> {
  const output = join(tmp.path, relative(tree, input).replaceAll('/', '__'));
  await writeFile(output, writeRelocatable(await readElf(input)));
  return output;
}

describe('round trip of test-kernel objects', () => {
  it(`keeps sections, symbols, relocations and groups of ${SAMPLE_SIZE}+ objects and modules`, async () => {
    for (const input of sample) {
      const output = await roundTrip(input);
      // objtool appends names to string tables without sharing tails, the writer shares them:
      // string-table sizes may differ (names are compared through -S/-s/-r).
      const listing = async (path: string) =>
        (await readelfModuloOffsets(path)).replace(
          /^(\s*\[\s*\d+\]\s+\S+\s+STRTAB\s+[0-9a-f]{16} OFFSET) [0-9a-f]+/gm,
          '$1 SIZE',
        );
      expect(await listing(output), relative(tree, input)).toEqual(await listing(input));
      await readelfAllClean(output);
      expect(await disassemble(output), relative(tree, input)).toEqual(
        (await disassemble(input)).replace(input, 'FILE'),
      );
      await linkRelocatable([output], `${output}.linked.o`);
    }
  });

  it('reads .modinfo of a livepatch module', async () => {
    const file = await readElf(join(tree, 'samples/livepatch/livepatch-sample.ko'));
    const modinfo = readModinfo(file.sectionByName('.modinfo')!);
    expect(modinfo).toContainEqual({ key: 'livepatch', value: 'Y' });
    expect(modinfo).toContainEqual({ key: 'license', value: 'GPL' });
  });

  it('round-trips vmlinux.o (thousands of sections, millions of relocations)', async () => {
    const input = join(tree, 'vmlinux.o');
    const output = await roundTrip(input);
    const sectionsAndSymbols = (path: string) => readelfModuloOffsets(path, ['-S', '-s', '-g']);
    expect(await sectionsAndSymbols(output)).toEqual(await sectionsAndSymbols(input));
    // Relocations: compare readelf's listing by digest, streamed (it is hundreds of MB).
    const digest = async (path: string) =>
      (await execa({ shell: true })`readelf --wide -r ${path} | sed -E "s/ at offset 0x[0-9a-f]+//" | md5sum`).stdout;
    expect(await digest(output)).toEqual(await digest(input));
  });
});

describe('reading vmlinux', () => {
  let file: ElfFile;
  beforeAll(async () => {
    file = await readElf(vmlinux);
  });

  it('reads the symbol table well under a second', async () => {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      const symbols = (await readElf(vmlinux)).symbols;
      times.push(performance.now() - start);
      expect(symbols.length).toBeGreaterThan(10_000);
    }
    expect(Math.min(...times)).toBeLessThan(500);
  });

  it('agrees with readelf on every symbol', async () => {
    expect(file.header.type).toBe(ET_EXEC);
    const symbols = await readelfSymbols(vmlinux);
    expect(
      file.symbols.map((s) => ({
        index: s.index,
        value: s.value,
        size: s.size,
        type: SYMBOL_TYPE_NAMES[s.type],
        bind: SYMBOL_BIND_NAMES[s.bind],
        vis: VISIBILITY_NAMES[s.visibility],
        ndx: ndxName(s.section?.index ?? s.shndx),
        name: s.displayName,
      })),
    ).toEqual(symbols);
    const start = file.symbolByName('start_kernel');
    expect(start?.section?.name).toBe('.init.text');
    expect(file.findSymbolAt(start!.section!, start!.offset + 1)).toBe(start);
  });

  it('decodes every symbol, relocation and section of vmlinux without error', () => {
    const counts = decodeAll(file);
    expect(counts.symbols).toBe(file.symbols.length);
    expect(counts.relocations).toBeGreaterThan(100_000);
  });

  it('decodes --emit-relocs relocations with offsets relative to their section', async () => {
    const small = file.relocationSections.filter((r) => r.size < 64 * 1024).slice(0, 5);
    expect(small.length).toBeGreaterThan(0);
    // readelf -r of all of vmlinux is hundreds of MB: keep only the chosen sections.
    const wanted = small.map((r) => `'${r.name}'`).join(' ');
    const { stdout } = await execa({
      shell: true,
      env: { WANTED: wanted },
    })`readelf --wide -r ${vmlinux} | awk '/^Relocation section/ { p = index(" " ENVIRON["WANTED"] " ", " " $3 " ") > 0 } p'`;
    const expected = parseReadelfRelocations(stdout);
    expect([...expected.keys()]).toEqual(small.map((r) => r.name));
    for (const rela of small as ElfRelocationSection[]) {
      expect(
        rela.relocations.map((r) => ({
          // sorttable leaves cleared (all-zero R_X86_64_NONE) entries in tables it sorted.
          offset: r.type === 0 && r.offset === 0 ? 0n : rela.target.addr + BigInt(r.offset),
          symbolIndex: r.symbol.index,
          type: r.type,
          addend: r.addend,
        })),
        rela.name,
      ).toEqual((expected.get(rela.name) ?? []).map(({ typeName: _, ...rest }) => rest));
    }
  });
});
