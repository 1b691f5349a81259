/**
 * Rebuild the special sections (see src/arch/x86_64/special-sections.ts) so that they hold
 * only the entries that point into functions the patch includes, and refuse entries the
 * livepatch core cannot honour (static keys owned by a module).
 */
import { STT_FUNC } from '../elf/constants.js';
import {
  ORC_UNWIND,
  SPECIAL_SECTIONS,
  tracepointOfKey,
  type SpecialSectionSpec,
} from '../arch/x86_64/special-sections.js';
import { UserError } from '../util/errors.js';
import type { Refusal } from '../util/refusal.js';
import type { EntrySizes } from './resolved-entry-sizes.js';
import { includeSymbol } from './include.js';
import type { DiffObject, DiffRelocation, DiffSection } from './model.js';
import type { PatchTarget } from './parent-object.js';
import { isDynamicDebugSymbol } from './statics.js';

interface Entry {
  start: number;
  size: number;
  relocations: DiffRelocation[];
}

function pointsIntoIncludedFunction(relocation: DiffRelocation): boolean {
  return relocation.symbol.type === STT_FUNC && relocation.symbol.section?.include === true;
}

function fixedEntries(section: DiffSection, rela: DiffSection, entrySize: number): Entry[] {
  const entries: Entry[] = [];
  for (let start = 0; start < section.size; start += entrySize) {
    // The last entry may lack its tail padding.
    entries.push({ start, size: Math.min(entrySize, section.size - start), relocations: [] });
  }
  for (const relocation of rela.relocations) {
    entries[Math.floor(relocation.offset / entrySize)]?.relocations.push(relocation);
  }
  return entries;
}

/** `.fixup` stubs start where `__ex_table` entries point into `.fixup`. */
function fixupEntries(object: DiffObject, section: DiffSection, rela: DiffSection): Entry[] {
  const exTable = object.sectionsByName.get('__ex_table')?.rela;
  if (!exTable) throw new UserError(`${object.path}: .fixup without __ex_table relocations`);
  const starts = [...new Set(exTable.relocations.filter((r) => r.symbol.name === section.name).map((r) => r.addend))]
    .filter((start) => start >= 0 && start < section.size)
    .sort((a, b) => a - b);
  const entries: Entry[] = starts.map((start, i) => ({
    start,
    size: (starts[i + 1] ?? section.size) - start,
    relocations: [],
  }));
  for (const relocation of rela.relocations) {
    const entry = entries.find(
      (candidate) => relocation.offset >= candidate.start && relocation.offset < candidate.start + candidate.size,
    );
    if (!entry)
      throw new UserError(
        `${object.path}: .fixup code at 0x${relocation.offset.toString(16)} is not reached from __ex_table`,
      );
    entry.relocations.push(relocation);
  }
  return entries;
}

type KeyVerdict = { kind: 'keep' } | { kind: 'drop'; note: string } | { kind: 'refuse'; refusal: Refusal };

/** The function a relocation of patched code points into (its name for messages). */
function codeOwner(code: DiffRelocation): string {
  return code.symbol.type === STT_FUNC ? code.symbol.name : `${code.symbol.name}+0x${code.addend.toString(16)}`;
}

/**
 * Whether to keep a jump label / static call entry whose code is being patched. A key the
 * target module owns is resolved by a klp relocation, which the livepatch core may apply only
 * after the key was initialised: such an entry cannot be kept. Dropping it leaves the code as
 * compiled: a tracepoint's or a dynamic-debug print's branch stays off (as kpatch does), and a
 * static call stays a call of its trampoline, which static_call_update() keeps current.
 */
function keyVerdict(spec: SpecialSectionSpec, entry: Entry, target: PatchTarget, object: DiffObject): KeyVerdict {
  const ordered = [...entry.relocations].sort((a, b) => a.offset - b.offset);
  const key = ordered[spec.keyRelocation!];
  const code = ordered[0];
  if (!key || !code)
    throw new UserError(`${object.path}: ${spec.name} entry at 0x${entry.start.toString(16)} has an unexpected format`);
  const keySymbol = key.symbol;
  if (!target.isModule || !target.defines(keySymbol.name)) return { kind: 'keep' };
  const owner = `module ${target.objectName} owns`;
  const tracepoint = tracepointOfKey(keySymbol.name);
  if (tracepoint !== undefined) {
    return {
      kind: 'drop',
      note: `${codeOwner(code)}: tracepoint ${tracepoint} stays off in the patched function (its key ${keySymbol.name} is one ${owner})`,
    };
  }
  if (isDynamicDebugSymbol(keySymbol)) {
    return {
      kind: 'drop',
      note: `${codeOwner(code)}: its dynamic-debug prints cannot be enabled in the patched function (their keys are ones ${owner})`,
    };
  }
  const jumpLabel = spec.keyCheck === 'jump-label';
  return {
    kind: 'refuse',
    refusal: {
      category: jumpLabel ? 'static-key-in-module' : 'static-call-module-key',
      reason:
        `${jumpLabel ? 'jump label' : 'static call'} at ${code.symbol.name}+0x${code.addend.toString(16)} uses key ${keySymbol.name}, which ${owner}: ` +
        `the livepatch core may apply its relocations after the key is initialised. Use static_key_enabled() (or a plain call) instead`,
    },
  };
}

function rebuild(
  section: DiffSection,
  rela: DiffSection,
  kept: Entry[],
  onMove?: (from: number, to: number, size: number) => void,
): void {
  if (kept.length === 0) {
    section.status = rela.status = 'same';
    section.include = rela.include = false;
    return;
  }
  const data = new Uint8Array(kept.reduce((total, entry) => total + entry.size, 0));
  const relocations: DiffRelocation[] = [];
  let at = 0;
  for (const entry of kept) {
    data.set(section.data.subarray(entry.start, entry.start + entry.size), at);
    for (const relocation of entry.relocations) {
      relocations.push({ ...relocation, offset: relocation.offset - entry.start + at });
      includeSymbol(relocation.symbol);
    }
    onMove?.(entry.start, at, entry.size);
    at += entry.size;
  }
  section.data = data;
  section.size = data.length;
  rela.relocations = relocations;
  section.include = rela.include = true;
  if (section.sectionSymbol) section.sectionSymbol.include = true;
}

function moveExTableTargets(object: DiffObject, fixup: DiffSection): (from: number, to: number, size: number) => void {
  const targets = (object.sectionsByName.get('__ex_table')?.rela?.relocations ?? []).filter(
    (r) => r.symbol.name === fixup.name,
  );
  const original = new Map(targets.map((r) => [r, r.addend]));
  return (from, to, size) => {
    for (const [relocation, addend] of original) {
      if (addend >= from && addend < from + size) relocation.addend = addend - (from - to);
    }
  };
}

function includeCompanion(object: DiffObject, name: string): void {
  const companion = object.sectionsByName.get(name);
  if (!companion) return;
  companion.include = true;
  for (const symbol of object.symbols) if (symbol.section === companion) symbol.include = true;
  if (companion.rela) {
    companion.rela.include = true;
    for (const relocation of companion.rela.relocations) includeSymbol(relocation.symbol);
  }
}

/** The entry size of a special section the object has; an error if the target kernel has none. */
function entrySizeOf(object: DiffObject, entrySizes: EntrySizes, section: string): number {
  const resolved = entrySizes.get(section)!;
  if (resolved.size === null) {
    throw new UserError(
      `${object.path} has a ${section} section, but ${resolved.origin} (object and kernel built with different configurations?)`,
    );
  }
  return resolved.size;
}

function rebuildOrc(object: DiffObject, entrySizes: EntrySizes): void {
  const orc = object.sectionsByName.get(ORC_UNWIND.name);
  const ip = object.sectionsByName.get(ORC_UNWIND.ipName);
  if (!orc || !ip?.rela) return;
  const entrySize = entrySizeOf(object, entrySizes, ORC_UNWIND.name);
  const count = orc.size / entrySize;
  if (!Number.isInteger(count) || ip.size !== count * ORC_UNWIND.ipEntrySize) {
    throw new UserError(
      `${object.path}: ${orc.name} (${orc.size} bytes) and ${ip.name} (${ip.size} bytes) disagree for ${entrySize}-byte ORC entries`,
    );
  }
  const kept: number[] = [];
  const relocations: DiffRelocation[] = [];
  ip.rela.relocations.forEach((relocation, index) => {
    if (!pointsIntoIncludedFunction(relocation)) return;
    relocations.push({ ...relocation, offset: kept.length * ORC_UNWIND.ipEntrySize });
    relocation.symbol.include = true;
    kept.push(index);
  });
  if (kept.length === 0) {
    orc.status = ip.status = ip.rela.status = 'same';
    orc.include = ip.include = ip.rela.include = false;
    return;
  }
  const data = new Uint8Array(kept.length * entrySize);
  kept.forEach((index, at) => data.set(orc.data.subarray(index * entrySize, (index + 1) * entrySize), at * entrySize));
  orc.data = data;
  orc.size = data.length;
  ip.data = new Uint8Array(kept.length * ORC_UNWIND.ipEntrySize);
  ip.size = ip.data.length;
  ip.rela.relocations = relocations;
  orc.include = ip.include = ip.rela.include = true;
}

/**
 * Rebuild every special section; returns refusal reasons (module-owned keys) and notes on the
 * entries left out (each once).
 */
export function rebuildSpecialSections(
  object: DiffObject,
  entrySizes: EntrySizes,
  target: PatchTarget,
): { refusals: Refusal[]; notes: string[] } {
  const refusals: Refusal[] = [];
  const notes = new Set<string>();
  for (const spec of SPECIAL_SECTIONS) {
    const section = object.sectionsByName.get(spec.name);
    const rela = section?.rela;
    if (!section || !rela) continue;
    const entries =
      spec.entry.kind === 'stubs'
        ? fixupEntries(object, section, rela)
        : fixedEntries(section, rela, entrySizeOf(object, entrySizes, spec.name));
    const kept: Entry[] = [];
    for (const entry of entries) {
      if (!entry.relocations.some(pointsIntoIncludedFunction)) continue;
      if (spec.keyCheck) {
        const verdict = keyVerdict(spec, entry, target, object);
        if (verdict.kind === 'drop') notes.add(verdict.note);
        if (verdict.kind === 'refuse') refusals.push(verdict.refusal);
        if (verdict.kind !== 'keep') continue;
      }
      kept.push(entry);
    }
    rebuild(section, rela, kept, spec.entry.kind === 'stubs' ? moveExTableTargets(object, section) : undefined);
    if (spec.companion && section.include) includeCompanion(object, spec.companion);
  }
  rebuildOrc(object, entrySizes);
  return { refusals, notes: [...notes] };
}
