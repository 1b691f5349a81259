import { execa } from 'execa';
import { readelf } from './readelf.js';

/**
 * `readelf --wide -S -s -r -g` (or the given options) with file offsets, which a writer may
 * choose freely, blanked, so two objects with the same sections, symbols, relocations and
 * groups compare equal.
 */
export async function readelfModuloOffsets(path: string, options = ['-S', '-s', '-r', '-g']): Promise<string> {
  const text = await readelf(options, path);
  return text
    .replace(/starting at offset 0x[0-9a-f]+/g, 'starting at offset X')
    .replace(/' at offset 0x[0-9a-f]+ contains/g, "' contains")
    .replace(/^(\s*\[\s*\d+\]\s+\S*\s+(?:SYMTAB SECTION INDICES|\S+)\s+[0-9a-f]{16}) [0-9a-f]{6,}/gm, '$1 OFFSET');
}

/** `readelf -a`; throws if binutils prints any warning or error. */
export async function readelfAllClean(path: string): Promise<string> {
  return readelf(['-a'], path);
}

/** `objdump -dr` with the file name line removed; throws on any stderr output. */
export async function disassemble(path: string): Promise<string> {
  const { stdout, stderr } = await execa('objdump', ['-dr', '--no-show-raw-insn', path]);
  if (stderr.trim() !== '') throw new Error(`objdump -dr ${path}:\n${stderr}`);
  return stdout.replace(path, 'FILE');
}

/** `ld -r` of the given objects into `output`; throws on failure or any warning. */
export async function linkRelocatable(inputs: string[], output: string): Promise<void> {
  const { stderr } = await execa('ld', ['-r', '-o', output, ...inputs]);
  if (stderr.trim() !== '') throw new Error(`ld -r warned:\n${stderr}`);
}
