/**
 * ELF notes as the kernel shows them: /sys/kernel/notes is its .notes section (every note of
 * vmlinux: Xen's, Linux's, the GNU build-id), /sys/module/NAME/notes/.note.gnu.build-id a module's
 * build-id note. Each note: namesz, descsz, type (little-endian 32-bit words), then the name and
 * the descriptor, each padded to 4 bytes.
 */
export interface Note {
  name: string;
  type: number;
  desc: Buffer;
}

const NT_GNU_BUILD_ID = 3;

const pad4 = (bytes: Buffer): Buffer => Buffer.concat([bytes, Buffer.alloc((4 - (bytes.length % 4)) % 4)]);

export function noteBytes(notes: readonly Note[]): Buffer {
  return Buffer.concat(
    notes.flatMap((note) => {
      const name = Buffer.from(`${note.name}\0`, 'latin1');
      const header = Buffer.alloc(12);
      header.writeUInt32LE(name.length, 0);
      header.writeUInt32LE(note.desc.length, 4);
      header.writeUInt32LE(note.type, 8);
      return [header, pad4(name), pad4(note.desc)];
    }),
  );
}

export const buildIdNote = (hex: string): Note => ({
  name: 'GNU',
  type: NT_GNU_BUILD_ID,
  desc: Buffer.from(hex, 'hex'),
});

/**
 * A kernel's notes with the build-id HEX among others, as an x86_64 vmlinux has them: Xen's
 * notes (a 4-byte name), Linux's (a 6-byte name, padded; a 5-byte descriptor, padded), a GNU
 * note of another type, then the build-id, then one more.
 */
export function kernelNotes(hex: string): Buffer {
  return noteBytes([
    { name: 'Xen', type: 6, desc: Buffer.from('linux\0', 'latin1') },
    { name: 'Linux', type: 0x101, desc: Buffer.from([1, 2, 3, 4, 5]) },
    { name: 'GNU', type: 1, desc: Buffer.from([0, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]) },
    buildIdNote(hex),
    { name: 'Xen', type: 18, desc: Buffer.alloc(8, 0xff) },
  ]);
}
