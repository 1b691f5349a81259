/**
 * Acceptance against the peer corpus (kpatch unit-test objects): run the reference's way (the
 * original object's own symbols as the target, each case's entry sizes, and line numbers
 * guessed: the objects were built without line keeping), every case must reach the reference
 * outcome with the same changed/new/callback function sets, and every output object must pass
 * the reference test's checks.
 *
 * The same objects with line numbers `kept` (what the differ says when told not to guess, as
 * the pipeline diffs its own builds) pin the other mode: the cases of corpus-line-deviations.ts
 * deviate as stated there (the reference's result beside ours, both asserted), every other case
 * still agrees.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { dir } from 'tmp-promise';
import { diffObjects } from '../../../src/diff/diff-objects.js';
import type { LineNumbers } from '../../../src/diff/line-drift.js';
import { writePatchObject } from '../../../src/diff/output.js';
import {
  corpusAvailable,
  CORPUS_DIR,
  entrySizesFor,
  loadCorpus,
  requireCorpus,
  type CorpusCase,
} from './corpus-cases.js';
import { readelf, nmFunctions } from './binutils.js';
import { LINE_NUMBER_DEVIATIONS } from './corpus-line-deviations.js';

const sorted = (names: readonly string[]): string[] => [...names].sort();

/** The reference test's output checks, by case, as real inspections of our output. */
/**
 * Where our output deliberately holds other functions than the reference tool's, and why. Each
 * entry keeps the reference's count beside ours, so the difference is asserted, not hidden.
 */
const OUTPUT_FUNCTION_COUNT_DEVIATIONS: Record<
  string,
  { reference: number; ours: number; why: string; check: (out: string) => void }
> = {
  'cold-change-parent': {
    reference: 1,
    ours: 2,
    check: (out) =>
      expect(nmFunctions(out).map((f) => f.name)).toEqual(['meminfo_proc_show', 'meminfo_proc_show.cold.0']),
    why:
      'meminfo_proc_show changed and its .cold part did not; the cold code jumps back to ' +
      '.text.meminfo_proc_show+0x3b. The reference leaves the cold part out, so the new function jumps ' +
      "into the kernel's old cold code, which returns into the old function (the rest of the old code, " +
      'with the old frame). We take the cold part along with its new parent (src/diff/include.ts).',
  },
};

const OUTPUT_CHECKS: Record<string, (out: string) => void> = {
  'convert-global-local': (out) => {
    expect(nmFunctions(out)).toContainEqual({ name: '__kmalloc', type: 't' });
  },
  'dynamic-debug-jump-label-issue-1253': (out) => {
    const undefinedSectionSymbols = readelf(['-sW', out])
      .split('\n')
      .filter((line) => / SECTION /.test(line) && / UND /.test(line));
    expect(undefinedSectionSymbols).toEqual([]);
  },
  'import-ns': (out) => {
    const strings = readelf(['-p', '.modinfo', out]);
    const imports = [...strings.matchAll(/import_ns=(\S+)/g)].map((m) => m[1]);
    expect(sorted(imports as string[])).toEqual(sorted(['KPATCH_TEST2', 'KPATCH_TEST', 'DEVMEM', 'DMA_BUF']));
    // Allocated, as the module's own .modinfo is: `ld -r` must merge the two into one section,
    // or modpost reads only one of them (and misses the license).
    expect(readelf(['-SW', out])).toMatch(/\.modinfo\s+PROGBITS\s+\S+\s+\S+\s+\S+\s+00\s+A\s/);
    const license = `${out}.license.o`;
    execFileSync('gcc', ['-c', '-x', 'c', '-', '-o', license], {
      input: 'const char l[] __attribute__((section(".modinfo"), used, aligned(1))) = "license=GPL";',
    });
    const merged = `${out}.merged.o`;
    execFileSync('ld', ['-r', '-o', merged, license, out]);
    expect(readelf(['-SW', merged]).match(/ \.modinfo /g)).toHaveLength(1);
  },
  'mcount_loc-issue-1102': (out) => {
    const relocations = readelf(['-rW', out]);
    const section = relocations
      .split(/\n(?=Relocation section)/)
      .find((s) => s.startsWith("Relocation section '.rela__mcount_loc'"));
    expect(section).toMatch(/R_X86_64_64\s+0+\s+netlbl_catmap_getlong \+ 0\b/);
  },
  'zero-page-rela-issue-1064': (out) => {
    const relocations = readelf(['-rW', out]);
    expect(relocations).toMatch(/R_X86_64_64\s+0+\s+empty_zero_page \+ 80000000\b/);
    expect(relocations).not.toMatch(/empty_zero_page - 80000000/);
  },
};

/** The differ on case C, the reference's way but for LINE_NUMBERS. */
function diffCase(c: CorpusCase, lineNumbers: LineNumbers) {
  return diffObjects({ original: c.orig, patched: c.patched, entrySizes: entrySizesFor(c), lineNumbers });
}

/** What a case comes to, in the terms expected.json gives. */
function resultOf(result: ReturnType<typeof diffObjects>) {
  return {
    outcome: result.outcome,
    changedFunctions: sorted(result.changedFunctions),
    newFunctions: sorted(result.newFunctions),
    callbacks: sorted(result.callbacks.map((callback) => callback.function)),
  };
}

/** What the reference reached on C. */
function referenceOf(c: CorpusCase) {
  return {
    outcome: c.outcome,
    changedFunctions: sorted(c.changedFunctions),
    newFunctions: sorted(c.newFunctions),
    callbacks: sorted(c.callbacks),
  };
}

/**
 * A case of LINE_NUMBER_DEVIATIONS with line numbers kept: the reference's result as stated, and
 * ours as stated (the reference's new functions and callbacks, its changed functions and the
 * stated others).
 */
function expectLineNumberDeviation(c: CorpusCase, result: ReturnType<typeof diffObjects>): void {
  const deviation = LINE_NUMBER_DEVIATIONS[c.name]!;
  expect({ outcome: c.outcome, changedFunctions: sorted(c.changedFunctions) }, `${c.name}: the reference's`).toEqual({
    ...deviation.reference,
    changedFunctions: sorted(deviation.reference.changedFunctions),
  });
  const ours = deviation.ours;
  if (ours.outcome === 'refused') {
    expect(result.outcome).toBe('refused');
    expect(result.refusals.map((r) => [r.category, /^function (\S+) /.exec(r.reason)?.[1]])).toEqual(ours.refused);
    return;
  }
  expect(resultOf(result)).toEqual({
    ...referenceOf(c),
    outcome: ours.outcome,
    changedFunctions: sorted([...c.changedFunctions, ...ours.alsoChanged]),
  });
}

describe(`peer corpus ${CORPUS_DIR}`, () => {
  const cases = corpusAvailable() ? loadCorpus() : [];
  /** Cases that agree with the reference, line numbers guessed (its way) and kept. */
  let agreeingGuessed = 0;
  let agreeingKept = 0;
  /** Cases that deviate as stated in corpus-line-deviations.ts, line numbers kept. */
  let deviatingKept = 0;
  const workdir = dir({ unsafeCleanup: true });

  afterAll(async () => {
    console.log(
      `corpus: line numbers guessed (the reference's way): ${agreeingGuessed}/${cases.length} agree; ` +
        `line numbers kept: ${agreeingKept}/${cases.length} agree, ${deviatingKept} deviate as stated (corpus-line-deviations.ts)`,
    );
    await (await workdir).cleanup();
  });

  it('is there', () => {
    requireCorpus();
  });

  it('has the 55 cases and an output check for each described one', () => {
    expect(cases).toHaveLength(55);
    const described = cases.filter((c) => c.outputCheck).map((c) => c.name);
    expect(sorted(Object.keys(OUTPUT_CHECKS))).toEqual(sorted(described));
  });

  it('states deviations only for cases of the corpus', () => {
    const names = cases.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(Object.keys(LINE_NUMBER_DEVIATIONS)));
    expect(names).toEqual(expect.arrayContaining(Object.keys(OUTPUT_FUNCTION_COUNT_DEVIATIONS)));
  });

  describe('line numbers guessed, as the reference guesses them', () => {
    it.each(cases.map((c) => [c.name, c] as [string, CorpusCase]))('%s', async (_name, c) => {
      const result = diffCase(c, 'guessed');
      expect(resultOf(result)).toEqual(referenceOf(c));
      if (c.outcome === 'refused') expect(result.refusals.map((r) => r.reason).length).toBeGreaterThan(0);
      // A case that deviates with kept line numbers agrees here because the guess took the
      // difference for line numbers, and says so.
      if (LINE_NUMBER_DEVIATIONS[c.name]) {
        expect(result.notes.filter((note) => note.startsWith('only line numbers changed in '))).not.toEqual([]);
      }
      if (result.outcome === 'changed') {
        const out = `${(await workdir).path}/${c.name}.o`;
        writePatchObject(result.patched, out);
        // The object must be well-formed for binutils.
        execFileSync('readelf', ['-aW', out], { stdio: 'pipe' });
        const deviation = OUTPUT_FUNCTION_COUNT_DEVIATIONS[c.name];
        if (deviation) {
          expect(c.outputFunctionCount, `${c.name}: the reference's count`).toBe(deviation.reference);
          deviation.check(out);
        }
        const count = deviation?.ours ?? c.outputFunctionCount;
        if (count !== undefined) expect(nmFunctions(out)).toHaveLength(count);
        OUTPUT_CHECKS[c.name]?.(out);
      }
      agreeingGuessed++;
    });
  });

  describe('line numbers kept: the stated deviations, and agreement elsewhere', () => {
    it.each(cases.map((c) => [c.name, c] as [string, CorpusCase]))('%s', async (_name, c) => {
      const result = diffCase(c, 'kept');
      expect(result.notes.filter((note) => note.startsWith('only line numbers'))).toEqual([]);
      if (!LINE_NUMBER_DEVIATIONS[c.name]) {
        expect(resultOf(result)).toEqual(referenceOf(c));
        agreeingKept++;
        return;
      }
      expectLineNumberDeviation(c, result);
      if (result.outcome === 'changed') {
        const out = `${(await workdir).path}/${c.name}.kept.o`;
        writePatchObject(result.patched, out);
        execFileSync('readelf', ['-aW', out], { stdio: 'pipe' });
        // The reference's count is of its own selection; with more functions changed, ours must
        // hold each of them.
        const names = nmFunctions(out).map((f) => f.name);
        expect(names).toEqual(expect.arrayContaining([...result.changedFunctions, ...result.newFunctions]));
      }
      deviatingKept++;
    });
  });
});
