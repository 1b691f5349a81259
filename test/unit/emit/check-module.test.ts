import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { readElf, writeRelocatable, type ElfFile } from '../../../src/elf/index.js';
import { checkModule } from '../../../src/emit/check-module.js';
import { modinfoValue } from '../../../src/kernel/modinfo.js';
import { runningVermagic } from '../../../src/kernel/vermagic.js';
import { convertToLivepatchFormat } from '../../../src/emit/convert.js';
import { parseSymvers } from '../../../src/kernel/symvers.js';
import { compile } from './kernel-like.js';
import { userError } from '../../support/user-error.js';

const VERMAGIC = '6.1.0-tsbp SMP preempt mod_unload ';

/** A module-like object: .modinfo entries as the kernel's MODULE_INFO makes them, and undefined symbols. */
const MODULE = `#define MODINFO(id, text) static const char id[] __attribute__((section(".modinfo"), used, aligned(1))) = text
MODINFO(vermagic_entry, "vermagic=${VERMAGIC}");
MODINFO(license_entry, "license=GPL");
MODINFO(livepatch_entry, "livepatch=Y");
extern int _printk(const char *, ...);
extern int klp_enable_patch(void *);
extern int secret_function(void);
extern int another_secret;
int f(void) { _printk("x"); return klp_enable_patch(0) + secret_function() + another_secret; }
`;

let tmp: DirectoryResult;
let modulePath: string;

const EXPORTS = parseSymvers(
  '0x1\t_printk\tvmlinux\tEXPORT_SYMBOL\t\n0x2\tklp_enable_patch\tvmlinux\tEXPORT_SYMBOL_GPL\t\n',
);
const ALL_EXPORTS = parseSymvers(
  '0x1\t_printk\tvmlinux\tEXPORT_SYMBOL\t\n0x2\tklp_enable_patch\tvmlinux\tEXPORT_SYMBOL_GPL\t\n0x3\tsecret_function\tvmlinux\tEXPORT_SYMBOL\t\n0x4\tanother_secret\tvmlinux\tEXPORT_SYMBOL\t\n',
);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'klp-check-' });
  modulePath = await compile(tmp.path, 'mod/livepatch-demo.c', MODULE);
});
afterAll(async () => tmp?.cleanup());

describe('modinfoValue', () => {
  it('reads entries of .modinfo', async () => {
    const ko = await readElf(modulePath);
    expect(modinfoValue(ko, 'vermagic')).toBe(VERMAGIC);
    expect(modinfoValue(ko, 'livepatch')).toBe('Y');
    expect(modinfoValue(ko, 'author')).toBeUndefined();
  });
});

describe('checkModule', () => {
  it('lists every undefined symbol the running kernel does not export, exit code 2', async () => {
    const ko = await readElf(modulePath);
    const error = userError(() => checkModule(ko, EXPORTS, VERMAGIC));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(modulePath);
    expect(error.message).toMatch(/secret_function/);
    expect(error.message).toMatch(/another_secret/);
    expect(error.message).not.toMatch(/_printk|klp_enable_patch/);
  });

  it('passes a module whose undefined symbols are exported or livepatch symbols', async () => {
    expect(checkModule(await readElf(modulePath), ALL_EXPORTS, VERMAGIC)).toEqual([]);

    const model: ElfFile = await readElf(modulePath);
    for (const symbol of model.symbols) {
      if (symbol.name === 'secret_function') symbol.name = '.klp.sym.vmlinux.secret_function,0';
      if (symbol.name === 'another_secret') symbol.name = '.klp.sym.vmlinux.another_secret,2';
    }
    model.invalidateIndexes();
    convertToLivepatchFormat(model);
    const converted = join(tmp.path, 'converted.ko');
    await writeFile(converted, writeRelocatable(model));
    expect(checkModule(await readElf(converted), EXPORTS, VERMAGIC)).toEqual([]);
  });

  it("refuses a vermagic other than the running kernel's, quoting both", async () => {
    const ko = await readElf(modulePath);
    const running = '6.1.0-other SMP preempt mod_unload ';
    const error = userError(() => checkModule(ko, ALL_EXPORTS, running));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(`"${VERMAGIC}"`);
    expect(error.message).toContain(`"${running}"`);
  });

  it('only warns when there is no running vermagic to compare with', async () => {
    const warnings = checkModule(await readElf(modulePath), ALL_EXPORTS, undefined);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/vermagic not checked/);
  });
});

describe('runningVermagic', () => {
  it('reads the vermagic of any module under MODULES_DIR/kernel', async () => {
    const modules = join(tmp.path, 'lib/modules/6.1.0-tsbp');
    await mkdir(join(modules, 'kernel/drivers/demo'), { recursive: true });
    await copyFile(modulePath, join(modules, 'kernel/drivers/demo/demo.ko'));
    expect(await runningVermagic(modules)).toBe(VERMAGIC);
  });

  it('gives undefined without a modules directory or without modules in it', async () => {
    expect(await runningVermagic('')).toBeUndefined();
    expect(await runningVermagic(join(tmp.path, 'nowhere'))).toBeUndefined();
    const empty = join(tmp.path, 'lib/modules/empty');
    await mkdir(join(empty, 'kernel/fs'), { recursive: true });
    expect(await runningVermagic(empty)).toBeUndefined();
  });
});
