/** The guest's modules: a module whose needs cannot be read is an error, never a module loaded alone. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { guestModules } from '../../../src/vm/boot-target.js';
import { UserError } from '../../../src/util/errors.js';

describe('guestModules', () => {
  it('fails naming the module and the reason when what it needs first cannot be read', async () => {
    const { path, cleanup } = await dir({ unsafeCleanup: true });
    try {
      const missing = join(path, 'livepatch-missing.ko');
      const error = await guestModules([missing], undefined).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UserError);
      expect((error as Error).message).toContain(missing);
      expect((error as Error).message).toMatch(/ENOENT|no such file/i);

      const notElf = join(path, 'livepatch-garbage.ko');
      await writeFile(notElf, 'not an ELF file');
      const garbage = await guestModules([notElf], '/lib/modules/none').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(garbage).toBeInstanceOf(UserError);
      expect((garbage as Error).message).toContain(notElf);
    } finally {
      await cleanup();
    }
  });
});
