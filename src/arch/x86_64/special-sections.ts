/**
 * The special sections of an x86_64 kernel object: arrays of fixed-size entries (or, for
 * `.fixup`, variable-size stubs) that point at code. The differ keeps, entry by entry, only
 * those that point into functions the patch includes. This table is the single place that
 * knows them, what one entry of each is (the kernel struct whose size the target kernel's
 * DWARF gives, or a fixed-width integer) and where vmlinux bounds them. The Linux 6.1 struct
 * sizes are used only when the caller gives no size (the pipeline passes those it measured in
 * the target kernel, see src/kernel/facts/measured-entry-sizes.ts).
 */

/**
 * What one entry of a special section is, and so where its size comes from:
 * - `struct`: a kernel struct (`struct <tag>`) whose size the target kernel's DWARF gives
 *   (src/kernel/facts/measured-entry-sizes.ts); `linux61Size` is its x86_64 Linux 6.1 size, used only
 *   when the caller gives no size;
 * - `abi`: a plain integer whose width the x86_64 kernel fixes (no DWARF type to measure);
 * - `stubs`: variable-size code stubs (`.fixup`, kernels before 5.17) whose boundaries are the
 *   `__ex_table` targets.
 */
export type EntryType =
  | { readonly kind: 'struct'; readonly tag: string; readonly linux61Size: number }
  | { readonly kind: 'abi'; readonly cType: string; readonly size: number }
  | { readonly kind: 'stubs' };

/** What to check on entries that reference a static key or static call key. */
export type KeyCheck = 'jump-label' | 'static-call';

export interface SpecialSectionSpec {
  readonly name: string;
  readonly entry: EntryType;
  /**
   * The symbols the vmlinux linker script puts around this section's entries (start, stop):
   * a vmlinux holds entries of the section when stop > start.
   */
  readonly vmlinuxBounds?: readonly [start: string, stop: string];
  /** Index (among the entry's relocations, in offset order) of the key reference. */
  readonly keyRelocation?: number;
  readonly keyCheck?: KeyCheck;
  /** A section kept whole whenever this one keeps any entry (alternative replacement code). */
  readonly companion?: string;
  /**
   * objtool writes this table from the code (not the compiler): when kbuild runs objtool on a
   * linked module, it writes the table for every function of the module, and refuses or skips
   * an object that has one already (src/emit/objtool-tables.ts).
   */
  readonly writtenByObjtool?: true;
}

const s32 = (what: string): EntryType => ({ kind: 'abi', cType: `s32 (${what})`, size: 4 });

/**
 * In processing order: `.fixup` must be rebuilt before `__ex_table`, whose entries point into
 * it.
 */
export const SPECIAL_SECTIONS: readonly SpecialSectionSpec[] = [
  {
    name: '__bug_table',
    entry: { kind: 'struct', tag: 'bug_entry', linux61Size: 12 },
    vmlinuxBounds: ['__start___bug_table', '__stop___bug_table'],
  },
  { name: '.fixup', entry: { kind: 'stubs' } },
  {
    name: '__ex_table',
    entry: { kind: 'struct', tag: 'exception_table_entry', linux61Size: 12 },
    vmlinuxBounds: ['__start___ex_table', '__stop___ex_table'],
  },
  {
    name: '__jump_table',
    entry: { kind: 'struct', tag: 'jump_entry', linux61Size: 16 },
    vmlinuxBounds: ['__start___jump_table', '__stop___jump_table'],
    keyRelocation: 2,
    keyCheck: 'jump-label',
  },
  {
    name: '.printk_index',
    // __packed: five pointers and an unsigned int.
    entry: { kind: 'struct', tag: 'pi_entry', linux61Size: 44 },
    vmlinuxBounds: ['__start_printk_index', '__stop_printk_index'],
  },
  { name: '.smp_locks', entry: s32('relative lock prefix address') },
  {
    name: '.parainstructions',
    entry: { kind: 'struct', tag: 'paravirt_patch_site', linux61Size: 16 },
    vmlinuxBounds: ['__parainstructions', '__parainstructions_end'],
  },
  {
    name: '.static_call_sites',
    entry: { kind: 'struct', tag: 'static_call_site', linux61Size: 8 },
    vmlinuxBounds: ['__start_static_call_sites', '__stop_static_call_sites'],
    keyRelocation: 1,
    keyCheck: 'static-call',
  },
  {
    name: '.altinstructions',
    entry: { kind: 'struct', tag: 'alt_instr', linux61Size: 12 },
    vmlinuxBounds: ['__alt_instructions', '__alt_instructions_end'],
    companion: '.altinstr_replacement',
  },
  { name: '.retpoline_sites', entry: s32('relative call site'), writtenByObjtool: true },
  { name: '.return_sites', entry: s32('relative return site'), writtenByObjtool: true },
  { name: '.call_sites', entry: s32('relative call site'), writtenByObjtool: true },
  { name: '.ibt_endbr_seal', entry: s32('relative endbr site'), writtenByObjtool: true },
];

/** The ORC unwind tables: `.orc_unwind` entries paired by position with `.orc_unwind_ip`. */
export const ORC_UNWIND = {
  name: '.orc_unwind',
  ipName: '.orc_unwind_ip',
  entry: { kind: 'struct', tag: 'orc_entry', linux61Size: 6 },
  vmlinuxBounds: ['__start_orc_unwind', '__stop_orc_unwind'],
  /** Each `.orc_unwind_ip` entry is an s32 relative to itself. */
  ipEntrySize: 4,
  writtenByObjtool: true,
} as const satisfies SpecialSectionSpec & { ipName: string; ipEntrySize: number };

/**
 * The tables objtool writes (see SpecialSectionSpec.writtenByObjtool), the ORC pair included.
 * `.static_call_sites` is left out on purpose: objtool skips an object that has one (a warning),
 * and its entries name static call keys that the livepatch conversion resolves.
 */
export function objtoolTables(): string[] {
  return [
    ...SPECIAL_SECTIONS.filter((spec) => spec.writtenByObjtool).map((spec) => spec.name),
    ORC_UNWIND.name,
    ORC_UNWIND.ipName,
  ];
}

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

/** Every special section with fixed-size entries (the ORC table included). */
function fixedEntrySpecs(): SpecialSectionSpec[] {
  return [...SPECIAL_SECTIONS.filter((spec) => spec.entry.kind !== 'stubs'), ORC_UNWIND];
}

/** Sections whose entry size a caller may set (`--entry-size NAME=BYTES`). */
export function entrySizeSections(): string[] {
  return fixedEntrySpecs().map((spec) => spec.name);
}

/** What one entry of `section` is, if it is a special section with fixed-size entries. */
export function entryTypeOf(section: string): EntryType | undefined {
  return fixedEntrySpecs().find((spec) => spec.name === section)?.entry;
}

/** Default entry size (x86_64, Linux 6.1) of a special section, if it has one. */
export function defaultEntrySize(section: string): number | undefined {
  const entry = entryTypeOf(section);
  if (entry?.kind === 'struct') return entry.linux61Size;
  if (entry?.kind === 'abi') return entry.size;
  return undefined;
}

/** A special section whose entry is a kernel struct, measured in the target kernel. */
export interface StructSizedSection {
  section: string;
  /** The struct tag (`struct <tag>`). */
  tag: string;
  vmlinuxBounds: readonly [start: string, stop: string] | undefined;
}

/** The special sections whose entry size is the size of a kernel struct. */
export function structSizedSections(): StructSizedSection[] {
  return fixedEntrySpecs().flatMap((spec) =>
    spec.entry.kind === 'struct'
      ? [{ section: spec.name, tag: spec.entry.tag, vmlinuxBounds: spec.vmlinuxBounds }]
      : [],
  );
}

/**
 * The keys a tracepoint's call site uses: its static key (`__tracepoint_NAME`, a jump label)
 * and, since 5.10, its static call key (`__SCK__tp_func_NAME`). An inert tracepoint in patched
 * code is harmless.
 */
const TRACEPOINT_KEY_PREFIXES = ['__tracepoint_', '__SCK__tp_func_'] as const;

/** The tracepoint whose jump label or static call uses KEY, if it is one. */
export function tracepointOfKey(key: string): string | undefined {
  const prefix = TRACEPOINT_KEY_PREFIXES.find((candidate) => key.startsWith(candidate));
  return prefix ? key.slice(prefix.length) : undefined;
}
