import { open, readFile, rename, stat } from 'node:fs/promises';
import { execa } from 'execa';
import { UserError } from '../../../src/util/errors.js';

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/**
 * The uncompressed kernel ELF inside an xz-compressed bzImage. qemu boots it directly through
 * its PVH entry point (CONFIG_PVH=y), skipping the decompression, which takes seconds under
 * TCG. Written to OUTPUT (once: kept when it is already there).
 */
export async function extractPvhKernel(vmlinuz: string, output: string): Promise<string> {
  if ((await stat(output).catch(() => undefined))?.isFile()) return output;
  const image = await readFile(vmlinuz);
  const at = image.indexOf(XZ_MAGIC);
  if (at < 0) throw new UserError(`${vmlinuz}: no xz payload found (only xz-compressed kernels are supported here)`);
  const partial = `${output}.${process.pid}.partial`;
  await execa('xz', ['-dc', '--single-stream'], {
    input: image.subarray(at),
    stdout: { file: partial },
    encoding: 'buffer',
  });
  const handle = await open(partial, 'r');
  const head = Buffer.alloc(4);
  await handle.read(head, 0, 4, 0);
  await handle.close();
  if (!head.equals(ELF_MAGIC)) throw new UserError(`${vmlinuz}: the xz payload is not an ELF kernel`);
  await rename(partial, output);
  return output;
}
