import { execa } from 'execa';

// Parsers for `readelf --wide` output: binutils is the independent oracle the tests compare
// the model against.

export interface ReadelfSection {
  index: number;
  name: string;
  type: string;
  addr: bigint;
  size: number;
  entsize: number;
  flags: string;
  link: number;
  info: number;
  align: number;
}

export interface ReadelfSymbol {
  index: number;
  value: bigint;
  size: number;
  type: string;
  bind: string;
  vis: string;
  ndx: string;
  name: string;
}

export interface ReadelfRelocation {
  offset: bigint;
  symbolIndex: number;
  type: number;
  typeName: string;
  addend: bigint;
}

export async function readelf(args: string[], file: string): Promise<string> {
  const { stdout, stderr } = await execa('readelf', ['--wide', ...args, file]);
  if (stderr.trim() !== '') throw new Error(`readelf ${args.join(' ')} ${file} warned:\n${stderr}`);
  return stdout;
}

export async function readelfSections(file: string): Promise<ReadelfSection[]> {
  const text = await readelf(['-S'], file);
  const sections: ReadelfSection[] = [];
  for (const line of text.split('\n')) {
    // The name column is 17 characters wide; longer names push the rest right. One type name
    // has spaces (SHT_SYMTAB_SHNDX).
    const match =
      /^\s*\[\s*(\d+)\]\s+(\S*?)\s+(SYMTAB SECTION INDICES|\S+)\s+([0-9a-f]{16})\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([A-Za-z]*)\s+(\d+)\s+(\d+)\s+(\d+)$/.exec(
        line,
      );
    if (match === null) continue;
    const [, index, name, type, addr, , size, es, flags, link, info, align] = match as unknown as string[];
    sections.push({
      index: Number(index),
      name: name as string,
      type: type as string,
      addr: BigInt(`0x${addr}`),
      size: parseInt(size as string, 16),
      entsize: parseInt(es as string, 16),
      flags: flags as string,
      link: Number(link),
      info: Number(info),
      align: Number(align),
    });
  }
  return sections;
}

export async function readelfSymbols(file: string): Promise<ReadelfSymbol[]> {
  const text = await readelf(['-s'], file);
  const symbols: ReadelfSymbol[] = [];
  let inSymtab = false;
  for (const line of text.split('\n')) {
    if (line.startsWith("Symbol table '")) {
      inSymtab = line.startsWith("Symbol table '.symtab'");
      continue;
    }
    if (!inSymtab) continue;
    // Ndx is a number, UND, ABS, COM or, for the OS range (SHN_LIVEPATCH), "OS [0xff20]".
    const match = /^\s*(\d+): ([0-9a-f]+)\s+(\S+) (\S+)\s+(\S+)\s+(\S+)\s+(OS \[0x[0-9a-f]+\]|\S+) ?(.*)$/.exec(line);
    if (match === null) continue;
    const [, index, value, size, type, bind, vis, ndx, name] = match as unknown as string[];
    symbols.push({
      index: Number(index),
      value: BigInt(`0x${value}`),
      size: (size as string).startsWith('0x') ? Number(BigInt(size as string)) : Number(size),
      type: type as string,
      bind: bind as string,
      vis: vis as string,
      ndx: ndx as string,
      name: name as string,
    });
  }
  return symbols;
}

/** Relocations per relocation-section name. */
export async function readelfRelocations(file: string): Promise<Map<string, ReadelfRelocation[]>> {
  return parseReadelfRelocations(await readelf(['-r'], file));
}

/** Parses `readelf --wide -r` output (or an excerpt of whole relocation sections). */
export function parseReadelfRelocations(text: string): Map<string, ReadelfRelocation[]> {
  const result = new Map<string, ReadelfRelocation[]>();
  let current: ReadelfRelocation[] | undefined;
  for (const line of text.split('\n')) {
    const header = /^Relocation section '([^']*)'/.exec(line);
    if (header !== null) {
      current = [];
      result.set(header[1] as string, current);
      continue;
    }
    const match =
      /^([0-9a-f]{16})\s+([0-9a-f]{16})\s+(\S+)\s+(?:[0-9a-f]{16}\s+)?(.*?)\s*(?:([+-]) ([0-9a-f]+))?$/.exec(line);
    if (match === null || current === undefined) continue;
    const [, offset, info, typeName, , sign, addend] = match as unknown as (string | undefined)[];
    const infoValue = BigInt(`0x${info}`);
    const magnitude = addend === undefined ? 0n : BigInt(`0x${addend}`);
    current.push({
      offset: BigInt(`0x${offset}`),
      symbolIndex: Number(infoValue >> 32n),
      type: Number(infoValue & 0xffffffffn),
      typeName: typeName as string,
      addend: sign === '-' ? -magnitude : magnitude,
    });
  }
  return result;
}

/** COMDAT groups: signature name and member section indexes, in file order. */
export async function readelfGroups(file: string): Promise<{ index: number; signature: string; members: number[] }[]> {
  const text = await readelf(['-g'], file);
  const groups: { index: number; signature: string; members: number[] }[] = [];
  for (const line of text.split('\n')) {
    const header = /group section \[\s*(\d+)\] `[^']*' \[([^\]]*)\] contains/.exec(line);
    if (header !== null) {
      groups.push({ index: Number(header[1]), signature: header[2] as string, members: [] });
      continue;
    }
    const member = /^\s+\[\s*(\d+)\]\s+\S/.exec(line);
    if (member !== null) groups.at(-1)?.members.push(Number(member[1]));
  }
  return groups;
}
