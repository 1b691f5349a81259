/**
 * The compile units of a kernel's modules, read from the DWARF of its debug modules (as Debian's
 * -dbg package has them): names as kbuild gave them to the compiler, `../` kept; from a .deb
 * streamed through dpkg-deb and tar (built here with dpkg-deb), or from installed debug files.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCompileUnitNames } from '../../../src/kernel/facts/compile-units.js';
import { KernelUnits } from '../../../src/kernel/facts/kernel-units.js';
import { parseUnitListing, readModuleUnits } from '../../../src/kernel/facts/module-units.js';
import { moduleUnitsFromDeb, moduleUnitsFromDir } from '../../../src/sources/debian/module-units.js';

const RELEASE = '6.1.0-test';
const DEBUG_MODULES = `usr/lib/debug/lib/modules/${RELEASE}`;
/** Each module's sources, as its Makefile names them to the compiler. */
const MODULES: Record<string, string[]> = {
  'kernel/drivers/gpu/drm/amd/amdgpu/amdgpu.ko': [
    'drivers/gpu/drm/amd/amdgpu/amdgpu_drv.c',
    'drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.c',
  ],
  'kernel/fs/binfmt_misc.ko': ['fs/binfmt_misc.c'],
  'kernel/drivers/net/dummy-net.ko': ['drivers/net/dummy-net.c'],
};

let tmp: DirectoryResult;
let root: string;
beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true });
  // Module files with DWARF, as the debug package holds them.
  root = join(tmp.path, 'package');
  const sources = join(tmp.path, 'src');
  for (const [ko, units] of Object.entries(MODULES)) {
    const objects: string[] = [];
    for (const [k, unit] of units.entries()) {
      await mkdir(join(sources, dirname(unit)), { recursive: true });
      await writeFile(join(sources, unit), `int f${k}_${objects.length}(void) { return ${k}; }\n`);
      const object = join(tmp.path, 'objects', `${ko.replace(/\//g, '_')}.${k}.o`);
      await mkdir(dirname(object), { recursive: true });
      await execa('gcc', ['-g', '-c', unit, '-o', object], { cwd: sources });
      objects.push(object);
    }
    const file = join(root, DEBUG_MODULES, ko);
    await mkdir(dirname(file), { recursive: true });
    await execa('ld', ['-r', '-o', file, ...objects]);
  }
  await mkdir(join(root, 'usr/lib/debug/boot'), { recursive: true });
  await writeFile(join(root, `usr/lib/debug/boot/vmlinux-${RELEASE}`), '');
}, 60_000);
afterAll(async () => tmp.cleanup());

const EXPECTED = {
  amdgpu: ['drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.c', 'drivers/gpu/drm/amd/amdgpu/amdgpu_drv.c'],
  binfmt_misc: ['fs/binfmt_misc.c'],
  dummy_net: ['drivers/net/dummy-net.c'],
};

describe("the modules' compile units", () => {
  it('keeps the directory a unit was built from (../ and all), in vmlinux and modules alike', () => {
    const dump = [
      ' <0><c>: Abbrev Number: 211 (DW_TAG_compile_unit)',
      '    <13>   DW_AT_name        : (indirect line string, offset: 0x35cd69): drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc_link_enc_cfg.c',
    ].join('\n');
    expect(parseCompileUnitNames(dump)).toEqual(['drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc_link_enc_cfg.c']);
    const listing = `### ./${DEBUG_MODULES}/kernel/drivers/gpu/drm/amd/amdgpu/amdgpu.ko\n${dump}\n### ./${DEBUG_MODULES}/kernel/x/empty.ko\n`;
    expect(parseUnitListing(listing)).toEqual({
      version: 1,
      modules: { amdgpu: ['drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc_link_enc_cfg.c'] },
      withoutUnits: ['empty'],
    });
  });

  it('reads them from the debug package as it streams out, one module file at a time', async () => {
    const deb = join(tmp.path, 'linux-image-dbg.deb');
    await mkdir(join(root, 'DEBIAN'), { recursive: true });
    await writeFile(
      join(root, 'DEBIAN/control'),
      'Package: linux-image-test-dbg\nVersion: 1\nArchitecture: amd64\nMaintainer: tests <tests@tsbuild-patch.invalid>\nDescription: test\n',
    );
    await execa('dpkg-deb', ['--build', '--root-owner-group', '-Zgzip', root, deb]);
    const output = join(tmp.path, 'from-deb.json');
    const scratch = join(tmp.path, 'scratch');
    expect(await moduleUnitsFromDeb(deb, DEBUG_MODULES, output, scratch, () => {})).toBe(true);
    expect((await readModuleUnits(output))?.modules).toEqual(EXPECTED);
    // A package without module files: nothing known, nothing written.
    const none = join(tmp.path, 'none.json');
    expect(await moduleUnitsFromDeb(deb, 'usr/lib/debug/lib/modules/other', none, scratch, () => {})).toBe(false);
    expect(await readModuleUnits(none)).toBeUndefined();
  });

  it('reads them from the debug files of an installed package', async () => {
    const output = join(tmp.path, 'from-dir.json');
    expect(await moduleUnitsFromDir(join(root, DEBUG_MODULES), output, () => {})).toBe(true);
    const units = await readModuleUnits(output);
    expect(units).toEqual({ version: 1, modules: EXPECTED, withoutUnits: [] });
    expect(await moduleUnitsFromDir(join(root, 'nowhere'), join(tmp.path, 'x.json'), () => {})).toBe(false);
    // What the build reads of them: where a source of another directory was built.
    const kernel = new KernelUnits([], units!.modules);
    expect(kernel.naming('drivers/gpu/drm/amd/display/dc/core/dc.c')).toEqual([
      { unit: 'drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.c', into: 'amdgpu' },
    ]);
  });
});
