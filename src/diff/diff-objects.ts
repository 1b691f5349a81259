/**
 * The differ pipeline: from an original and a patched object to the decision (changed,
 * no change, refused) and the selection of what the patch object must contain. Each stage
 * lives in its own file; this one only orders them.
 */
import { bundleSymbols, linkChildFunctions, linkPrefixSymbols, markFentryCalls } from './structure.js';
import { compareSections, compareSymbols } from './compare.js';
import { LINE_NUMBER_MODES, type LineNumbers } from './line-drift.js';
import { correlateObjects } from './correlate.js';
import { resolveEntrySizes, type EntrySizeInput, type EntrySizes } from './resolved-entry-sizes.js';
import { includeChangedFunctions, includeNewGlobals, includeStandardElements } from './include.js';
import { loadObject } from './load.js';
import {
  duplicateCallbackRefusals,
  forceMarkerRefusals,
  includeCallbacks,
  markIgnoredFunctionsSame,
  markIgnoredSections,
  markIgnoredSectionsSame,
  type Callback,
} from './marker-actions.js';
import type { DiffObject } from './model.js';
import type { Refusal } from '../util/refusal.js';
import { DiffRefusal } from './refusal.js';
import { replaceSectionReferences } from './section-references.js';
import { rebuildSpecialSections } from './special-sections.js';
import { settleExportTables } from './exports.js';
import { correlateStaticLocals } from './static-locals.js';
import { loadTarget, targetFromObject, type PatchTarget } from './parent-object.js';
import { functionsWithoutFtraceEntry, selectionProblems } from './verify.js';
import { reportedFunctions } from './changes.js';
import { checkStructLayouts } from './struct-layout.js';

export type Outcome = 'changed' | 'no-change' | 'refused';

export interface DiffOptions {
  original: string;
  patched: string;
  /** The ELF whose symbols the patch targets (vmlinux or a .ko); default: the original. */
  parent?: string;
  /**
   * Entry sizes of special sections given by the caller (section name -> bytes, or a size
   * with its origin, see entrySizesFromFacts); sections left out take the arch defaults.
   */
  entrySizes?: ReadonlyMap<string, EntrySizeInput>;
  /**
   * Whether the objects' line numbers were kept: `kept` when the patched build gave every
   * unchanged line its number from before (`#line` directives, as this tool's own build does),
   * so every difference is a change; `guessed` for objects built without (kpatch-build's, by
   * hand): a changed immediate passed to printk, WARN, might_sleep and the like is taken for a
   * line number, as kpatch-build takes it, and a real change of such a constant goes unseen
   * (src/diff/line-drift.ts). No default: the caller knows how its objects were built.
   */
  lineNumbers: LineNumbers;
}

export interface DiffResult {
  outcome: Outcome;
  changedFunctions: string[];
  newFunctions: string[];
  callbacks: Callback[];
  /** Why the patch was refused (each names the section or function, with its category). */
  refusals: Refusal[];
  /**
   * Other facts worth telling (ignored sections and functions, static locals, with `guessed`
   * line numbers the sections whose only change was taken for line numbers, ...).
   */
  notes: string[];
  /** How line numbers were read (the option given). */
  lineNumbers: LineNumbers;
  entrySizes: EntrySizes;
  target: PatchTarget;
  /** The patched object with its selection, for writing the output (changed outcome only). */
  patched: DiffObject;
}

function checkHeaders(original: DiffObject, patched: DiffObject): void {
  const a = original.header;
  const b = patched.header;
  if (
    a.type !== b.type ||
    a.machine !== b.machine ||
    a.flags !== b.flags ||
    a.osabi !== b.osabi ||
    a.abiversion !== b.abiversion
  ) {
    throw DiffRefusal.of('elf-header-changed', `ELF headers of ${original.path} and ${patched.path} differ`);
  }
}

function prepare(object: DiffObject): void {
  linkPrefixSymbols(object);
  bundleSymbols(object);
  linkChildFunctions(object);
  markFentryCalls(object);
  replaceSectionReferences(object);
}

export function diffObjects(options: DiffOptions): DiffResult {
  if (!LINE_NUMBER_MODES.includes(options.lineNumbers))
    throw new Error(
      `diffObjects: lineNumbers must be one of ${LINE_NUMBER_MODES.join(', ')}, not ${options.lineNumbers}`,
    );
  const entrySizes = resolveEntrySizes(options.entrySizes);
  const original = loadObject(options.original);
  const patched = loadObject(options.patched);
  const target = options.parent ? loadTarget(options.parent) : targetFromObject(original);
  const notes: string[] = [];
  const result: DiffResult = {
    outcome: 'refused',
    changedFunctions: [],
    newFunctions: [],
    callbacks: [],
    refusals: [],
    notes,
    lineNumbers: options.lineNumbers,
    entrySizes,
    target,
    patched,
  };

  try {
    checkHeaders(original, patched);
    const forced = forceMarkerRefusals(patched);
    if (forced.length > 0) throw new DiffRefusal(forced);
    prepare(original);
    prepare(patched);
    correlateObjects(original, patched);
    notes.push(...correlateStaticLocals(original, patched));
    markIgnoredSections(patched, notes);
    for (const name of compareSections(patched, options.lineNumbers))
      notes.push(`only line numbers changed in ${name}`);
    notes.push(...settleExportTables(original, patched));
    compareSymbols(patched);
    markIgnoredFunctionsSame(patched, notes);
    markIgnoredSectionsSame(patched);
    const noFtrace = functionsWithoutFtraceEntry(patched);
    if (noFtrace.length > 0) throw new DiffRefusal(noFtrace);
  } catch (error) {
    if (!(error instanceof DiffRefusal)) throw error;
    result.refusals.push(...error.refusals);
    return result;
  }

  includeStandardElements(patched);
  const changedCount = includeChangedFunctions(patched);
  result.callbacks = includeCallbacks(patched);
  const newGlobals = includeNewGlobals(patched);
  const special = rebuildSpecialSections(patched, entrySizes, target);
  notes.push(...special.notes);

  const reported = reportedFunctions(patched);
  result.changedFunctions = reported.changed;
  result.newFunctions = reported.added;
  const layouts = checkStructLayouts(original, patched, [...reported.changed, ...reported.added]);
  notes.push(...layouts.notes);

  const problems = [
    ...special.refusals,
    ...duplicateCallbackRefusals(result.callbacks),
    ...selectionProblems(patched),
    ...layouts.refusals,
  ];
  if (problems.length > 0) {
    result.refusals.push(...problems);
    return result;
  }
  result.outcome = changedCount === 0 && newGlobals === 0 && result.callbacks.length === 0 ? 'no-change' : 'changed';
  return result;
}
