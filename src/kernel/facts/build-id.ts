/**
 * The GNU build-id of an ELF file: the linker's hash of the whole output (vmlinux is linked
 * with --build-id=sha1), so equal build-ids mean equal contents, debug info included.
 */
import { readElf, SHT_NOTE, type ElfFile } from '../../elf/index.js';

const NT_GNU_BUILD_ID = 3;
const GNU_OWNER = 'GNU\0';

/** The build-id as lowercase hex, or undefined when the file has no NT_GNU_BUILD_ID note. */
export function gnuBuildId(elf: ElfFile): string | undefined {
  for (const section of elf.sections) {
    if (section.type !== SHT_NOTE) continue;
    const id = findBuildIdNote(section.data, Math.max(4, section.addralign));
    if (id !== undefined) return id;
  }
  return undefined;
}

/** Walk the notes of one SHT_NOTE section (name and descriptor padded to `align`). */
function findBuildIdNote(data: Buffer, align: number): string | undefined {
  const pad = (n: number): number => Math.ceil(n / align) * align;
  let at = 0;
  while (at + 12 <= data.length) {
    const nameSize = data.readUInt32LE(at);
    const descSize = data.readUInt32LE(at + 4);
    const type = data.readUInt32LE(at + 8);
    const nameAt = at + 12;
    const descAt = nameAt + pad(nameSize);
    if (descAt + descSize > data.length) return undefined;
    const owner = data.toString('latin1', nameAt, nameAt + nameSize);
    if (type === NT_GNU_BUILD_ID && owner === GNU_OWNER && descSize > 0) {
      return data.toString('hex', descAt, descAt + descSize);
    }
    at = descAt + pad(descSize);
  }
  return undefined;
}

/** The build-id of the ELF file at PATH (only its note sections are read), or undefined. */
export async function fileBuildId(path: string): Promise<string | undefined> {
  return gnuBuildId(await readElf(path));
}
