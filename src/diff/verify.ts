/**
 * Safety checks on the selection: everything that changed must be in the patch, and nothing
 * the livepatch core cannot replace (data in place, boot-only code, code without an ftrace
 * entry, COMDAT groups) may be.
 */
import { SHT_GROUP, STT_FUNC } from '../elf/constants.js';
import { isDebugSection, type DiffObject, type DiffSection } from './model.js';

/** Data sections that only hold once-flags: including them is harmless. */
const HARMLESS_DATA_SECTIONS: ReadonlySet<string> = new Set(['.data.unlikely', '.data.once']);

function isBootOnly(section: DiffSection): boolean {
  const name = section.name.startsWith('.rela.') ? section.name.slice('.rela'.length) : section.name;
  return name.startsWith('.init.') || name.startsWith('.exit.');
}

/**
 * A system call's body (`__do_sys_NAME`, `static inline`, so notrace) has no ftrace entry of its
 * own; kpatch-syscall.h moves it to a new function behind the patchable entry point.
 */
function syscallHint(name: string): string {
  const syscall = /^__do_sys_(\w+)$/.exec(name)?.[1];
  if (syscall === undefined) return '';
  return ` (it is the body of the system call ${syscall}: define it with KPATCH_SYSCALL_DEFINE<n> from "kpatch-syscall.h" ` +
    `instead of SYSCALL_DEFINE<n>, so the patch replaces the entry point __x64_sys_${syscall})`;
}

/** Changed functions the ftrace-based livepatch core could not redirect. */
export function functionsWithoutFtraceEntry(patched: DiffObject): string[] {
  const reasons: string[] = [];
  for (const symbol of patched.symbols) {
    if (symbol.type !== STT_FUNC || symbol.status !== 'changed') continue;
    if (symbol.parent?.status === 'changed') continue;
    if (!symbol.twin?.hasFentryCall) {
      reasons.push(`function ${symbol.name} changed but has no ftrace entry (__fentry__ call) in the original, so it cannot be patched${syscallHint(symbol.name)}`);
    }
  }
  return reasons;
}

export function selectionProblems(patched: DiffObject): string[] {
  const reasons: string[] = [];
  for (const section of patched.sections) {
    // Debug info is not shipped; its changes follow the code's.
    if (isDebugSection(section)) continue;
    if (section.status === 'changed' && !section.include) {
      const why = isBootOnly(section) ? ' (boot-time __init/__exit code cannot be livepatched)' : '';
      reasons.push(`changed section ${section.name} not selected for inclusion${why}`);
    }
    if (section.status !== 'same' && section.grouped) reasons.push(`changed section ${section.name} is part of a section group`);
    if (section.type === SHT_GROUP && section.status === 'new') reasons.push(`new section group ${section.name} is not supported`);
    if (
      section.include &&
      section.status !== 'new' &&
      (section.name.startsWith('.data') || section.name.startsWith('.bss')) &&
      !HARMLESS_DATA_SECTIONS.has(section.name)
    ) {
      reasons.push(
        `data section ${section.name} selected for inclusion: existing data cannot be replaced by a livepatch (use shadow variables or callbacks)`,
      );
    }
  }
  return reasons;
}
