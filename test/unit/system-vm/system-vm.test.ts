import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { DRIVER_SCRIPT, INITRAMFS_INIT } from '../../support/system-vm/guest-files.js';
import { DEFAULT_ROOTFS, rootfsKey } from '../../support/system-vm/rootfs.js';
import { parseDriverReport } from '../../support/system-vm/serial-report.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('system VM', () => {
  it('reads the driver lines out of a console with kernel messages around them', () => {
    const console = [
      '[    3.1] virtio_blk virtio1: [vdb] 524288 512-byte logical blocks',
      '@@TSBP begin 6.58',
      `@@TSBP value list ${b64('Loaded patches:\n  x [enabled]')}`,
      'noise from the script',
      '@@TSBP value empty ',
      '[    7.2] random kernel line @@TSBP value cmdline ' + b64('a b c'),
      '@@TSBP end 0 7.01',
      '[    7.9] reboot: Power down',
    ].join('\r\n');
    expect(parseDriverReport(console)).toEqual({
      beganAt: 6.58,
      status: 0,
      endedAt: 7.01,
      values: { list: 'Loaded patches:\n  x [enabled]', empty: '', cmdline: 'a b c' },
      noDisk: false,
    });
    expect(parseDriverReport('@@TSBP nodisk\n').noDisk).toBe(true);
    expect(parseDriverReport('nothing').beganAt).toBeUndefined();
  });

  it('keys the root file system on the recipe and the kernel modules it carries', () => {
    const base = {
      ...DEFAULT_ROOTFS,
      release: '6.1.0-57-amd64',
      modulesDir: '/cache/6.1.0-57-amd64_6.1.192-3/lib/modules/6.1.0-57-amd64',
    };
    const key = rootfsKey(base);
    expect(rootfsKey({ ...base })).toBe(key);
    expect(rootfsKey({ ...base, modulesDir: '/cache/6.1.0-57-amd64_6.1.192-4/lib/modules/6.1.0-57-amd64' })).not.toBe(
      key,
    );
    expect(rootfsKey({ ...base, include: [...base.include, 'less'] })).not.toBe(key);
    expect(rootfsKey({ ...base, sizeGiB: 3 })).not.toBe(key);
  });

  it('the guest scripts are POSIX shell', async () => {
    await execa('dash', ['-n'], { input: DRIVER_SCRIPT });
    await execa('dash', ['-n'], { input: INITRAMFS_INIT });
  });
});
