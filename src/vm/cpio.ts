/**
 * A writer for the cpio "newc" format the kernel unpacks as initramfs. Written here rather than
 * driving cpio(1) so that device nodes (/dev/console) need no root and the archive is
 * reproducible (fixed inode numbers and times).
 */
export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Buffer | string; mode?: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'chardev'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const hex8 = (value: number) => value.toString(16).padStart(8, '0');
const pad4 = (length: number) => Buffer.alloc((4 - (length % 4)) % 4);

function record(ino: number, mode: number, name: string, data: Buffer, rdev: [number, number] = [0, 0]): Buffer[] {
  const nameBytes = Buffer.from(name + '\0');
  const header = Buffer.from(
    '070701' +
      [ino, mode, 0, 0, mode & S_IFDIR ? 2 : 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0]
        .map(hex8)
        .join(''),
  );
  return [header, nameBytes, pad4(header.length + nameBytes.length), data, pad4(data.length)];
}

export function writeCpio(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const entry of entries) {
    const name = entry.path.replace(/^\/+/, '');
    switch (entry.kind) {
      case 'dir':
        parts.push(...record(ino++, S_IFDIR | (entry.mode ?? 0o755), name, Buffer.alloc(0)));
        break;
      case 'file': {
        const data = typeof entry.data === 'string' ? Buffer.from(entry.data) : entry.data;
        parts.push(...record(ino++, S_IFREG | (entry.mode ?? 0o644), name, data));
        break;
      }
      case 'symlink':
        parts.push(...record(ino++, S_IFLNK | 0o777, name, Buffer.from(entry.target)));
        break;
      case 'chardev':
        parts.push(
          ...record(ino++, S_IFCHR | (entry.mode ?? 0o600), name, Buffer.alloc(0), [entry.major, entry.minor]),
        );
        break;
    }
  }
  parts.push(...record(0, 0, 'TRAILER!!!', Buffer.alloc(0)));
  return Buffer.concat(parts);
}
