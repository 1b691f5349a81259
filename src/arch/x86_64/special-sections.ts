/**
 * The special sections of an x86_64 kernel object: arrays of fixed-size entries (or, for
 * `.fixup`, variable-size stubs) that point at code. The differ keeps, entry by entry, only
 * those that point into functions the patch includes. This table is the single place that
 * knows them; the default entry sizes are those of Linux 6.1 and are used only when the
 * caller gives no size (the pipeline passes the sizes found in the target kernel's DWARF).
 */

export type EntryLayout =
  /** Fixed-size entries; the size comes from the options or the defaults below. */
  | 'fixed'
  /** `.fixup` (kernels before 5.17): stubs whose boundaries are the `__ex_table` targets. */
  | 'fixup-stubs';

/** What to check on entries that reference a static key or static call key. */
export type KeyCheck = 'jump-label' | 'static-call';

export interface SpecialSectionSpec {
  readonly name: string;
  readonly layout: EntryLayout;
  /** The C type of one entry (where the target kernel's DWARF gives its size). */
  readonly struct: string;
  /** sizeof(struct) on x86_64 Linux 6.1; undefined for variable layouts. */
  readonly defaultEntrySize?: number;
  /** Index (among the entry's relocations, in offset order) of the key reference. */
  readonly keyRelocation?: number;
  readonly keyCheck?: KeyCheck;
  /** A section kept whole whenever this one keeps any entry (alternative replacement code). */
  readonly companion?: string;
}

/**
 * In processing order: `.fixup` must be rebuilt before `__ex_table`, whose entries point into
 * it.
 */
export const SPECIAL_SECTIONS: readonly SpecialSectionSpec[] = [
  { name: '__bug_table', layout: 'fixed', struct: 'struct bug_entry', defaultEntrySize: 12 },
  { name: '.fixup', layout: 'fixup-stubs', struct: '(code stubs)' },
  { name: '__ex_table', layout: 'fixed', struct: 'struct exception_table_entry', defaultEntrySize: 12 },
  {
    name: '__jump_table',
    layout: 'fixed',
    struct: 'struct jump_entry',
    defaultEntrySize: 16,
    keyRelocation: 2,
    keyCheck: 'jump-label',
  },
  { name: '.printk_index', layout: 'fixed', struct: 'struct pi_entry', defaultEntrySize: 44 },
  { name: '.smp_locks', layout: 'fixed', struct: 's32 (relative lock prefix address)', defaultEntrySize: 4 },
  { name: '.parainstructions', layout: 'fixed', struct: 'struct paravirt_patch_site', defaultEntrySize: 16 },
  {
    name: '.static_call_sites',
    layout: 'fixed',
    struct: 'struct static_call_site',
    defaultEntrySize: 8,
    keyRelocation: 1,
    keyCheck: 'static-call',
  },
  {
    name: '.altinstructions',
    layout: 'fixed',
    struct: 'struct alt_instr',
    defaultEntrySize: 12,
    companion: '.altinstr_replacement',
  },
  { name: '.retpoline_sites', layout: 'fixed', struct: 's32 (relative call site)', defaultEntrySize: 4 },
  { name: '.return_sites', layout: 'fixed', struct: 's32 (relative return site)', defaultEntrySize: 4 },
  { name: '.call_sites', layout: 'fixed', struct: 's32 (relative call site)', defaultEntrySize: 4 },
  { name: '.ibt_endbr_seal', layout: 'fixed', struct: 's32 (relative endbr site)', defaultEntrySize: 4 },
];

/** The ORC unwind tables: `.orc_unwind` entries paired by position with `.orc_unwind_ip`. */
export const ORC_UNWIND = {
  name: '.orc_unwind',
  ipName: '.orc_unwind_ip',
  struct: 'struct orc_entry',
  defaultEntrySize: 6,
  /** Each `.orc_unwind_ip` entry is an s32 relative to itself. */
  ipEntrySize: 4,
} as const;

/** ftrace call-site tables, which the differ regenerates for the included functions. */
export const MCOUNT_LOCATIONS = {
  name: '__mcount_loc',
  /** One absolute 64-bit address per call site. */
  entrySize: 8,
} as const;

/** Sections the differ rebuilds from scratch, so comparing them would be meaningless. */
export const SECTIONS_REBUILT_BY_DIFFER: ReadonlySet<string> = new Set([
  '__mcount_loc',
  '.rela__mcount_loc',
  '__patchable_function_entries',
  '.rela__patchable_function_entries',
]);

/** Sections whose entry size a caller may set (`--entry-size NAME=BYTES`). */
export function entrySizeSections(): string[] {
  return [
    ...SPECIAL_SECTIONS.filter((spec) => spec.layout === 'fixed').map((spec) => spec.name),
    ORC_UNWIND.name,
  ];
}

/** Default entry size (x86_64, Linux 6.1) of a special section, if it has one. */
export function defaultEntrySize(section: string): number | undefined {
  if (section === ORC_UNWIND.name) return ORC_UNWIND.defaultEntrySize;
  return SPECIAL_SECTIONS.find((spec) => spec.name === section)?.defaultEntrySize;
}

/** Tracepoint static keys: an inert tracepoint in patched code is harmless. */
export const TRACEPOINT_KEY_PREFIX = '__tracepoint_';
