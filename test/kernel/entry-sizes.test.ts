/**
 * Entry sizes measured in the test kernel's DWARF (pahole) checked against facts of the
 * kernel's own built objects, never against a copy of the numbers: in every sampled object
 * (and in vmlinux.o, all built-in objects linked together) each special section is a whole
 * number of entries, each entry starts with a relocated field, and the entries' relocation
 * pattern repeats at exactly that size and at no smaller one; ORC entries pair one to one with
 * `.orc_unwind_ip` relocations; the linked vmlinux bounds a whole number of entries.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dir, type DirectoryResult } from 'tmp-promise';
import {
  entryTypeOf,
  ORC_UNWIND,
  SPECIAL_SECTIONS,
  structSizedSections,
} from '../../src/arch/x86_64/special-sections.js';
import { readElf, SHF_EXECINSTR, type ElfFile, type ElfSection, type Relocation } from '../../src/elf/index.js';
import { entrySizesFromKernel, type KernelEntrySizes } from '../../src/kernel/facts/measured-entry-sizes.js';
import { testKernel } from './test-kernel.js';

/** A few built objects spread over the tree, together holding every special section this kernel has. */
const OBJECTS = [
  'kernel/sched/core.o',
  'arch/x86/kernel/process_64.o',
  'arch/x86/mm/fault.o',
  'mm/memory.o',
  'mm/mmap.o', // .parainstructions
  'arch/x86/mm/tlb.o',
];

interface Instance {
  object: string;
  section: ElfSection;
  relocations: Relocation[];
}

let work: DirectoryResult;
let tree: string;
let vmlinux: string;
let objects: ElfFile[];
let measured: KernelEntrySizes;
let measureSeconds: number;
const log = (message: string) => process.stderr.write(`${message}\n`);

beforeAll(async () => {
  const kernel = await testKernel();
  tree = kernel.source;
  vmlinux = kernel.vmlinux;
  work = await dir({ unsafeCleanup: true, prefix: 'entry-sizes-kernel-' });
  const started = performance.now();
  measured = await entrySizesFromKernel(vmlinux, log, { cacheDir: join(work.path, 'cache') });
  measureSeconds = (performance.now() - started) / 1000;
  const proc = (await readdir(join(tree, 'fs/proc'))).filter(
    (name) => name.endsWith('.o') && name !== 'built-in.o' && !name.endsWith('.mod.o'),
  );
  const paths = [...OBJECTS, ...proc.map((name) => `fs/proc/${name}`), 'vmlinux.o'];
  objects = await Promise.all(paths.map((path) => readElf(join(tree, path))));
});

afterAll(async () => {
  await work?.cleanup();
});

function instances(name: string): Instance[] {
  return objects.flatMap((elf) => {
    const section = elf.sectionByName(name);
    return section && section.size > 0 ? [{ object: elf.path, section, relocations: elf.relocationsFor(section) }] : [];
  });
}

/** What one relocation looks like from inside an entry of `period` bytes. */
function shape(relocation: Relocation, period: number): string {
  const target = relocation.symbol.section;
  const kind = target !== undefined && (target.flags & SHF_EXECINSTR) !== 0 ? 'code' : 'data';
  return `${relocation.offset % period}:${relocation.type}:${kind}`;
}

/** Whether every entry of `period` bytes, in every instance, has the same relocation shapes. */
function repeatsAt(all: readonly Instance[], period: number): boolean {
  let pattern: string | undefined;
  for (const { section, relocations } of all) {
    if (section.size % period !== 0) return false;
    const perEntry: string[][] = Array.from({ length: section.size / period }, () => []);
    for (const relocation of relocations)
      perEntry[Math.floor(relocation.offset / period)]!.push(shape(relocation, period));
    for (const shapes of perEntry) {
      const signature = shapes.sort().join(' ');
      pattern ??= signature;
      if (signature !== pattern) return false;
    }
  }
  return true;
}

function smallestRepeat(all: readonly Instance[], limit: number): number | undefined {
  for (let period = 1; period <= limit; period++) if (repeatsAt(all, period)) return period;
  return undefined;
}

describe('entry sizes from the test kernel', () => {
  it('measures every struct of the arch table, or says the kernel lacks it', () => {
    log(`pahole measurement of ${vmlinux}: ${measureSeconds.toFixed(2)} s`);
    const sections = structSizedSections().map((spec) => spec.section);
    expect([...measured.sizes.keys(), ...measured.absent.map((absent) => absent.section)].sort()).toEqual(
      [...sections].sort(),
    );
    expect(measured.identity).toMatch(/^build-id [0-9a-f]{40}$/);
    expect(measured.cached).toBe(false);
  });

  it.each(
    SPECIAL_SECTIONS.filter((spec) => spec.name !== '.fixup' && spec.name !== ORC_UNWIND.name).map((spec) => spec.name),
  )('%s: whole entries, one relocated first field per entry, pattern repeating at exactly the entry size', (name) => {
    const entry = entryTypeOf(name)!;
    const size = entry.kind === 'struct' ? measured.sizes.get(name) : entry.kind === 'abi' ? entry.size : undefined;
    const found = instances(name);
    if (size === undefined) {
      // The kernel has no such struct: then no object may have the section.
      expect(found.map((instance) => instance.object)).toEqual([]);
      return;
    }
    if (entry.kind === 'abi' && found.length === 0) return; // e.g. .call_sites: not in 6.1
    expect(found.length, `no sampled object has ${name}`).toBeGreaterThan(0);
    const entries = found.reduce((total, instance) => total + instance.section.size / size, 0);
    log(`${name}: ${size}-byte entries, ${entries} of them in ${found.length} sections`);
    for (const { object, section, relocations } of found) {
      expect(section.size % size, `${object} ${name} is ${section.size} bytes`).toBe(0);
      const starts = new Set(relocations.filter((r) => r.offset % size === 0).map((r) => r.offset));
      expect(starts.size, `${object} ${name}: entries with a relocated first field`).toBe(section.size / size);
    }
    expect(smallestRepeat(found, size)).toBe(size);
  });

  it('.orc_unwind: one entry per .orc_unwind_ip relocation', () => {
    const size = measured.sizes.get(ORC_UNWIND.name)!;
    const found = instances(ORC_UNWIND.name);
    expect(found.length).toBeGreaterThan(0);
    for (const { object, section } of found) {
      const elf = objects.find((candidate) => candidate.path === object)!;
      const ip = elf.sectionByName(ORC_UNWIND.ipName)!;
      const ipRelocations = elf.relocationsFor(ip).length;
      expect(ipRelocations, `${object}: one relocation per ${ORC_UNWIND.ipName} entry`).toBe(
        ip.size / ORC_UNWIND.ipEntrySize,
      );
      expect(section.size, `${object}: ${ORC_UNWIND.name} bytes`).toBe(ipRelocations * size);
    }
  });

  it('the linked vmlinux bounds a whole number of entries of each measured section', async () => {
    const elf = await readElf(vmlinux);
    for (const { section, vmlinuxBounds } of structSizedSections()) {
      const size = measured.sizes.get(section);
      if (size === undefined || vmlinuxBounds === undefined) continue;
      const [start, stop] = vmlinuxBounds.map((name) => elf.symbolByName(name)?.value);
      expect(start, `${vmlinuxBounds[0]} in vmlinux`).toBeDefined();
      expect(Number(stop! - start!) % size, `${section} between ${vmlinuxBounds.join(' and ')}`).toBe(0);
    }
  });

  it('lacks pi_entry exactly because the kernel is configured without CONFIG_PRINTK_INDEX', async () => {
    const config = await readFile(join(tree, '.config'), 'utf8');
    const printkIndex = /^CONFIG_PRINTK_INDEX=y$/m.test(config);
    expect(measured.absent.some((absent) => absent.tag === 'pi_entry')).toBe(!printkIndex);
  });

  it('answers from the cache, keyed by build-id, the second time', async () => {
    const started = performance.now();
    const again = await entrySizesFromKernel(vmlinux, log, { cacheDir: join(work.path, 'cache') });
    const seconds = (performance.now() - started) / 1000;
    log(`cached answer: ${seconds.toFixed(3)} s`);
    expect(again.cached).toBe(true);
    expect(again.sizes).toEqual(measured.sizes);
    expect(again.absent).toEqual(measured.absent);
    expect(seconds).toBeLessThan(1);
  });
});
