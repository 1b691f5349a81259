/**
 * Safety checks on the selection: everything that changed must be in the patch, and nothing
 * the livepatch core cannot replace (data in place, boot-only code, code without an ftrace
 * entry, COMDAT groups) may be.
 */
import { SHF_EXECINSTR, SHT_GROUP, STT_FUNC, STT_OBJECT } from '../elf/constants.js';
import { sameReference } from './compare.js';
import { ONCE_FLAG_SECTIONS } from './names.js';
import { isDebugSection, type DiffObject, type DiffSection, type DiffSymbol } from './model.js';
import type { Refusal } from '../util/refusal.js';

/** Data sections that only hold once-flags: including them is harmless. */
const HARMLESS_DATA_SECTIONS: ReadonlySet<string> = new Set(['.data.unlikely', ...ONCE_FLAG_SECTIONS]);

/** Whether a function of a section of several is the same as its twin: its bytes, and its references relative to its start. */
function sameFunction(symbol: DiffSymbol, twin: DiffSymbol): boolean {
  const code = (s: DiffSymbol) => s.section!.data.subarray(s.value, s.value + s.size);
  if (Buffer.compare(code(symbol), code(twin)) !== 0) return false;
  const references = (s: DiffSymbol) =>
    (s.section!.rela?.relocations ?? []).filter((r) => r.offset >= s.value && r.offset < s.value + s.size);
  const mine = references(symbol);
  const theirs = references(twin);
  return (
    mine.length === theirs.length &&
    mine.every((r, i) => {
      const other = theirs[i]!;
      if (r.offset - symbol.value !== other.offset - twin.value) return false;
      // A reference into the section itself moves when a function before its target changes size.
      if (r.symbol.section === symbol.section && !r.string)
        return other.symbol.section === twin.section && r.type === other.type;
      return sameReference(r, other);
    })
  );
}

/** The functions of a section of several that differ from their twins (or have none). */
function changedFunctionsIn(patched: DiffObject, text: DiffSection): string[] {
  return patched.symbols
    .filter((symbol) => symbol.section === text && symbol.type === STT_FUNC)
    .filter((symbol) => !symbol.twin?.section || !sameFunction(symbol, symbol.twin))
    .map((symbol) => symbol.name);
}

/** Code of several functions in one section (not one section per function). */
function isSharedText(section: DiffSection): boolean {
  return !section.bundled && (section.flags & SHF_EXECINSTR) !== 0 && !isBootOnly(section);
}

/** The name of a section, or of the section a relocation section applies to. */
function baseName(section: DiffSection): string {
  return section.name.startsWith('.rela.') ? section.name.slice('.rela'.length) : section.name;
}

function isBootOnly(section: DiffSection): boolean {
  const name = baseName(section);
  return name.startsWith('.init.') || name.startsWith('.exit.');
}

/**
 * A system call's body (`__do_sys_NAME`, `static inline`, so notrace) has no ftrace entry of its
 * own; kpatch-syscall.h moves it to a new function behind the patchable entry point.
 */
function syscallHint(name: string): string {
  const syscall = /^__do_sys_(\w+)$/.exec(name)?.[1];
  if (syscall === undefined) return '';
  return (
    ` (it is the body of the system call ${syscall}: define it with KPATCH_SYSCALL_DEFINE<n> from "kpatch-syscall.h" ` +
    `instead of SYSCALL_DEFINE<n>, so the patch replaces the entry point __x64_sys_${syscall})`
  );
}

/** Changed functions the ftrace-based livepatch core could not redirect. */
export function functionsWithoutFtraceEntry(patched: DiffObject): Refusal[] {
  const reasons: Refusal[] = [];
  for (const symbol of patched.symbols) {
    if (symbol.type !== STT_FUNC || symbol.status !== 'changed') continue;
    if (symbol.parent?.status === 'changed') continue;
    if (!symbol.twin?.hasFentryCall) {
      reasons.push({
        category: 'no-ftrace-entry',
        reason: `function ${symbol.name} changed but has no ftrace entry (__fentry__ call) in the original, so it cannot be patched${syscallHint(symbol.name)}`,
      });
    }
  }
  return reasons;
}

/** Sections of data (variables, constants, tables), by name: .data*, .rodata*, .bss* and their relocations. */
function isDataSection(section: DiffSection): boolean {
  return /^\.(data|rodata|bss)(\.|$)/.test(baseName(section));
}

/** Offsets of SECTION (a data section or its relocations) that differ from its twin's. */
function changedOffsets(section: DiffSection): number[] | undefined {
  const twin = section.twin;
  if (!twin) return undefined;
  if (section.base) {
    const before = new Map(twin.relocations.map((r) => [r.offset, r]));
    const after = new Map(section.relocations.map((r) => [r.offset, r]));
    return [...new Set([...before.keys(), ...after.keys()])].filter((offset) => {
      const [a, b] = [after.get(offset), before.get(offset)];
      return !a || !b || !sameReference(a, b);
    });
  }
  if (twin.data.length !== section.data.length) return undefined;
  const offsets: number[] = [];
  for (let i = 0; i < section.data.length; i++) if (section.data[i] !== twin.data[i]) offsets.push(i);
  return offsets;
}

/**
 * The variables of a changed data section, for messages: those whose bytes or relocations
 * changed, else all it holds (a few), else the section.
 */
function dataNames(patched: DiffObject, section: DiffSection): string {
  const data = section.base ?? section;
  if (data.bundled) return data.bundled.name;
  const held = patched.symbols.filter((symbol) => symbol.section === data && symbol.type === STT_OBJECT);
  const offsets = changedOffsets(section) ?? [];
  const changed = held.filter((symbol) =>
    offsets.some((offset) => offset >= symbol.value && offset < symbol.value + Math.max(symbol.size, 1)),
  );
  const names = (changed.length > 0 ? changed : held).map((symbol) => symbol.name);
  if (names.length === 0) return `in ${data.name}`;
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

/**
 * Why a changed section the selection left out makes the patch unsafe; undefined when the
 * reason given for another section covers it (the relocations of changed data or code).
 */
function unselectedChange(patched: DiffObject, section: DiffSection): Refusal | undefined {
  const coveredByBase = section.base !== undefined && section.base.status === 'changed' && !section.base.include;
  if (isBootOnly(section)) {
    return {
      category: 'init-code',
      reason: `changed section ${section.name} not selected for inclusion (boot-time __init/__exit code cannot be livepatched)`,
    };
  }
  if (isDataSection(section)) {
    // One reason per variable: its contents, else the addresses it holds.
    if (coveredByBase) return undefined;
    const what = section.base ? 'the addresses it holds' : 'its contents';
    return {
      category: 'existing-data',
      reason:
        `data ${dataNames(patched, section)} changed (section ${section.name}: ${what}): existing data cannot be replaced by a livepatch ` +
        '(use shadow variables or callbacks; for an ops table, patch the functions it points to instead)',
    };
  }
  const text = section.base ?? section;
  if (isSharedText(text)) {
    // A text section of several functions (a section attribute such as __sched's .sched.text
    // wins over -ffunction-sections): livepatches replace whole functions, each built in a
    // section of its own. One reason per text section.
    if (coveredByBase) return undefined;
    const changed = changedFunctionsIn(patched, text);
    return {
      category: 'shared-text-section',
      reason:
        `function${changed.length === 1 ? '' : 's'} ${changed.join(', ') || '(unknown)'} changed in section ${text.name}, which holds several functions ` +
        '(a section attribute such as __sched overrides -ffunction-sections): the tool patches functions built in sections of their own',
    };
  }
  return { category: 'section-not-selected', reason: `changed section ${section.name} not selected for inclusion` };
}

export function selectionProblems(patched: DiffObject): Refusal[] {
  const reasons: Refusal[] = [];
  for (const section of patched.sections) {
    // Debug info is not shipped; its changes follow the code's.
    if (isDebugSection(section)) continue;
    if (section.status === 'changed' && !section.include) {
      const reason = unselectedChange(patched, section);
      if (reason) reasons.push(reason);
    }
    if (section.status !== 'same' && section.grouped)
      reasons.push({ category: 'section-group', reason: `changed section ${section.name} is part of a section group` });
    if (section.type === SHT_GROUP && section.status === 'new')
      reasons.push({ category: 'section-group', reason: `new section group ${section.name} is not supported` });
    if (
      section.include &&
      section.status !== 'new' &&
      (section.name.startsWith('.data') || section.name.startsWith('.bss')) &&
      !HARMLESS_DATA_SECTIONS.has(section.name)
    ) {
      reasons.push({
        category: 'existing-data',
        reason: `data section ${section.name} selected for inclusion: existing data cannot be replaced by a livepatch (use shadow variables or callbacks)`,
      });
    }
  }
  return reasons;
}
