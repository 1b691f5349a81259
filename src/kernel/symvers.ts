import { readFile } from 'node:fs/promises';
import { UserError } from '../util/errors.js';

/** One line of Module.symvers: an exported symbol and who exports it. */
export interface ExportedSymbol {
  name: string;
  crc: string;
  /** "vmlinux" or the module's path without .ko (e.g. "samples/livepatch/livepatch-shadow-mod"). */
  owner: string;
  kind: string;
  namespace: string;
}

export type Exports = ReadonlyMap<string, ExportedSymbol>;

export function parseSymvers(text: string, path = 'Module.symvers'): Map<string, ExportedSymbol> {
  const exports = new Map<string, ExportedSymbol>();
  text.split('\n').forEach((line, at) => {
    if (line.trim() === '') return;
    const fields = line.split('\t');
    if (fields.length < 4 || !/^0x[0-9a-f]+$/i.test(fields[0] ?? '')) {
      throw new UserError(`${path}:${at + 1}: not a Module.symvers line: ${line.slice(0, 80)}`);
    }
    const [crc, name, owner, kind, namespace] = fields as [string, string, string, string, string?];
    exports.set(name, { name, crc, owner, kind, namespace: namespace ?? '' });
  });
  return exports;
}

export async function readSymvers(path: string): Promise<Map<string, ExportedSymbol>> {
  const text = await readFile(path, 'utf8').catch((error: Error) => {
    throw new UserError(`cannot read Module.symvers ${path}: ${error.message}`);
  });
  return parseSymvers(text, path);
}
