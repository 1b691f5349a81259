/** Entry sizes of special sections handed to the differ: section name → bytes. */
export type ResolvedEntrySizeInput = ReadonlyMap<string, number>;
