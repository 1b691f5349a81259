/**
 * Resolve the entry size of each special section: a size the caller gave (from the target
 * kernel's DWARF, or by hand) wins; otherwise the x86_64 Linux 6.1 default of the arch table.
 * Each resolved size remembers where it came from, for the report.
 */
import { defaultEntrySize, entrySizeSections } from '../arch/x86_64/special-sections.js';
import { UserError } from '../util/errors.js';

export type EntrySizeOrigin = 'given' | 'default x86_64 6.1 (src/arch/x86_64/special-sections.ts)';

export interface ResolvedEntrySize {
  size: number;
  origin: EntrySizeOrigin;
}

export type EntrySizes = ReadonlyMap<string, ResolvedEntrySize>;

export function resolveEntrySizes(given: ReadonlyMap<string, number> = new Map()): EntrySizes {
  const known = new Set(entrySizeSections());
  for (const [section, size] of given) {
    if (!known.has(section)) {
      throw new UserError(`--entry-size: ${section} is not a special section with fixed-size entries (known: ${[...known].join(', ')})`);
    }
    if (!Number.isInteger(size) || size <= 0) throw new UserError(`--entry-size: bad size ${size} for ${section}`);
  }
  const resolved = new Map<string, ResolvedEntrySize>();
  for (const section of known) {
    const size = given.get(section);
    if (size !== undefined) resolved.set(section, { size, origin: 'given' });
    else resolved.set(section, { size: defaultEntrySize(section)!, origin: 'default x86_64 6.1 (src/arch/x86_64/special-sections.ts)' });
  }
  return resolved;
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
