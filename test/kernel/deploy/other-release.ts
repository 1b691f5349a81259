import { readFile, writeFile } from 'node:fs/promises';

/**
 * A copy of a module whose vermagic names another kernel release of the same length (e.g.
 * 6.1.0-57-amd64 → 6.1.0-50-amd64): what a package built for two releases carries for the one
 * the machine does not run. Only its .modinfo vermagic is rewritten, so it must never be
 * loaded (and the test checks that it is not).
 */
export async function withOtherRelease(ko: string, from: string, to: string, output: string): Promise<string> {
  if (from.length !== to.length) throw new Error(`releases of different lengths: ${from}, ${to}`);
  const data = await readFile(ko);
  const needle = Buffer.from(`vermagic=${from} `);
  const at = data.indexOf(needle);
  if (at < 0 || data.indexOf(needle, at + 1) >= 0) throw new Error(`${ko}: expected one vermagic=${from}`);
  Buffer.from(`vermagic=${to} `).copy(data, at);
  await writeFile(output, data);
  return output;
}
