import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { writeCpio } from '../../../src/vm/cpio.js';

describe('cpio newc writer', () => {
  it('produces an archive that cpio(1) lists with the right types, sizes and targets', async () => {
    const archive = writeCpio([
      { kind: 'dir', path: 'bin' },
      { kind: 'file', path: 'bin/hello', data: 'hello, world\n', mode: 0o755 },
      { kind: 'file', path: 'odd', data: Buffer.alloc(5, 0x41) },
      { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
      { kind: 'chardev', path: 'console', major: 5, minor: 1 },
    ]);
    expect(archive.length % 4).toBe(0);
    const listing = await execa('cpio', ['-t', '-v', '--quiet'], { input: archive });
    const lines = listing.stdout.split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^drwxr-xr-x .* bin$/);
    expect(lines[1]).toMatch(/^-rwxr-xr-x .* 13 .* bin\/hello$/);
    expect(lines[2]).toMatch(/^-rw-r--r-- .* 5 .* odd$/);
    expect(lines[3]).toMatch(/^lrwxrwxrwx .* bin\/sh -> busybox$/);
    expect(lines[4]).toMatch(/^crw------- .* 5,\s*1 .* console$/);
  });

  it('round-trips file content through cpio -i', async () => {
    const data = Buffer.from(Array.from({ length: 1001 }, (_, i) => i % 251));
    const archive = writeCpio([{ kind: 'file', path: 'blob', data }]);
    const out = await execa('cpio', ['-i', '--quiet', '--to-stdout', 'blob'], { input: archive, encoding: 'buffer' });
    expect(Buffer.compare(Buffer.from(out.stdout), data)).toBe(0);
  });
});
