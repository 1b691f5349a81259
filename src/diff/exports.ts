/**
 * Export tables (Linux 6.1: EXPORT_SYMBOL puts a `___ksymtab[_gpl]+NAME` entry in a section of
 * its own and the name in `__ksymtab_strings`). A livepatch changes code, not the kernel's
 * export table: a patch that exports a new function still works (the livepatch's own code
 * reaches it directly; the modules already built never named it), and an export the patch
 * drops stays in place while the old code may still run. The string table the change touched
 * is therefore settled here, and what the livepatch does not carry is said in a note.
 */
import type { DiffObject, DiffSection } from './model.js';

const EXPORT_ENTRY = /^___ksymtab(_gpl)?\+(.+)$/;
const EXPORT_STRINGS = '__ksymtab_strings';

function exportedName(section: DiffSection): string | undefined {
  return EXPORT_ENTRY.exec(section.name)?.[2];
}

/** Settle the export string table; notes on exports added or dropped by the patch. */
export function settleExportTables(original: DiffObject, patched: DiffObject): string[] {
  const strings = patched.sectionsByName.get(EXPORT_STRINGS);
  if (!strings || strings.status !== 'changed') return [];
  const added = patched.sections
    .filter((s) => s.status === 'new')
    .map(exportedName)
    .filter((n): n is string => n !== undefined);
  const dropped = original.sections
    .filter((s) => !s.twin)
    .map(exportedName)
    .filter((n): n is string => n !== undefined);
  // Only the strings of exports changed: the entries themselves are new or gone, never changed.
  strings.status = 'same';
  const notes: string[] = [];
  if (added.length > 0) {
    notes.push(
      `new export${added.length > 1 ? 's' : ''} ${added.join(', ')}: not exported by the livepatch (its own code calls ${added.length > 1 ? 'them' : 'it'} directly; modules built before the patch never use ${added.length > 1 ? 'them' : 'it'})`,
    );
  }
  if (dropped.length > 0) {
    notes.push(
      `export${dropped.length > 1 ? 's' : ''} ${dropped.join(', ')} dropped by the patch: ${dropped.length > 1 ? 'they stay' : 'it stays'} exported while the livepatch is loaded`,
    );
  }
  return notes;
}
