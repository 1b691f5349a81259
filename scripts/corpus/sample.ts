// A fixed, seeded sample per class: entries sorted by id, shuffled with a seeded PRNG.
import type { CorpusEntry } from './manifest.js';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const random = mulberry32(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Up to PERCLASS[class] entries of each class, interleaved class by class so that a run cut
 * short still covers every class. Headers are limited to those at most MAXINCLUDERS built
 * objects may include (a header used everywhere rebuilds hundreds of objects per patch).
 */
export function sampleEntries(
  entries: readonly CorpusEntry[],
  perClass: Record<string, number>,
  seed: number,
  maxIncluders: number,
): CorpusEntry[] {
  const byClass = new Map<string, CorpusEntry[]>();
  for (const entry of [...entries].sort((a, b) => a.id.localeCompare(b.id))) {
    if (entry.class === 'headers' && (entry.includers ?? 0) > maxIncluders) continue;
    if (!byClass.has(entry.class)) byClass.set(entry.class, []);
    byClass.get(entry.class)!.push(entry);
  }
  const picked = [...byClass].map(([cls, list]) => seededShuffle(list, seed).slice(0, perClass[cls] ?? 0));
  const out: CorpusEntry[] = [];
  for (let i = 0; picked.some((list) => i < list.length); i++)
    for (const list of picked) if (i < list.length) out.push(list[i]!);
  return out;
}
