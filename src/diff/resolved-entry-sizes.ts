/**
 * Resolve the entry size of each special section: a size the caller gave (measured in the
 * target kernel's DWARF, or set by hand) wins; otherwise the arch table's size (the Linux 6.1
 * struct size, or the fixed width of an integer entry). Each resolved size remembers where it
 * came from, for the report.
 */
import { defaultEntrySize, entrySizeSections, entryTypeOf } from '../arch/x86_64/special-sections.js';
import type { KernelEntrySizes } from '../kernel/facts/measured-entry-sizes.js';
import { UserError } from '../util/errors.js';

const ARCH_TABLE = 'src/arch/x86_64/special-sections.ts';

export interface ResolvedEntrySize {
  /** Bytes per entry; null when the target kernel has no such section (the origin says why). */
  size: number | null;
  /** Where the size came from: 'given', 'vmlinux DWARF (<path>)', the arch table default. */
  origin: string;
}

/** What a caller gives per section: bytes (origin 'given') or a size with its origin. */
export type EntrySizeInput = number | ResolvedEntrySize;

export type EntrySizes = ReadonlyMap<string, ResolvedEntrySize>;

function defaultFor(section: string): ResolvedEntrySize {
  const entry = entryTypeOf(section);
  const origin = entry?.kind === 'abi' ? `fixed: ${entry.cType} (${ARCH_TABLE})` : `default x86_64 6.1 (${ARCH_TABLE})`;
  return { size: defaultEntrySize(section)!, origin };
}

export function resolveEntrySizes(given: ReadonlyMap<string, EntrySizeInput> = new Map()): EntrySizes {
  const known = new Set(entrySizeSections());
  const resolved = new Map<string, ResolvedEntrySize>();
  for (const [section, input] of given) {
    const { size, origin } = typeof input === 'number' ? { size: input, origin: 'given' } : input;
    if (!known.has(section)) {
      throw new UserError(
        `entry size (${origin}): ${section} is not a special section with fixed-size entries (known: ${[...known].join(', ')})`,
      );
    }
    if (size !== null && (!Number.isInteger(size) || size <= 0))
      throw new UserError(`entry size (${origin}): bad size ${size} for ${section}`);
    resolved.set(section, { size, origin });
  }
  for (const section of known) if (!resolved.has(section)) resolved.set(section, defaultFor(section));
  return resolved;
}

/**
 * Sizes measured in the target kernel, as differ input: sections whose struct the kernel
 * lacks get a null size, so an object that has such a section is an error rather than
 * silently cut with a default size.
 */
export function entrySizesFromFacts(facts: KernelEntrySizes): Map<string, ResolvedEntrySize> {
  const sizes = new Map<string, ResolvedEntrySize>();
  for (const [section, size] of facts.sizes) sizes.set(section, { size, origin: facts.origin });
  for (const { section, tag } of facts.absent) {
    sizes.set(section, {
      size: null,
      origin: `${facts.origin} has no struct ${tag}: the kernel has no ${section} entries`,
    });
  }
  return sizes;
}

/** Parse `NAME=BYTES` option values. */
export function parseEntrySizeOptions(values: readonly string[]): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const value of values) {
    const match = /^(.+)=(\d+)$/.exec(value);
    if (!match) throw new UserError(`--entry-size: expected SECTION=BYTES, got "${value}"`);
    sizes.set(match[1]!, Number(match[2]));
  }
  return sizes;
}
