import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  builtAgainstModinfo,
  builtAgainstOf,
  TARGET_BUILD_ID_KEY,
  VMLINUX_BUILD_ID_KEY,
} from '../../../src/emit/built-against.js';
import { generateModuleSources } from '../../../src/emit/generate.js';
import type { PatchModuleSpec } from '../../../src/emit/spec.js';
import { linkFakeKernel } from '../kernel/fake-kernel.js';

// The kernel's identity in a livepatch module's .modinfo: the build-ids of the vmlinux and of the
// target modules it was built against, under the keys tsbuild-patch-ctl reads (runtime/ctl/identity.sh).
const CTL_IDENTITY = new URL('../../../runtime/ctl/identity.sh', import.meta.url);

let tmp: DirectoryResult;
beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'built-against-' });
});
afterAll(async () => tmp?.cleanup());

const SPEC: PatchModuleSpec = {
  name: 'livepatch-fix',
  description: 'a fix',
  patches: ['fix.patch'],
  kernelRelease: '6.1.0-57-amd64',
  toolVersion: '0.1.0',
  replace: true,
  objects: [{ name: null, funcs: [{ oldName: 'f', newSymbol: 'tsbp_new_f', sympos: 0 }], callbacks: {} }],
  diffedObjects: ['f.o'],
};

/** The build-id as binutils reads it. */
async function readelfBuildId(path: string): Promise<string> {
  const { stdout } = await execa('readelf', ['-n', path]);
  return /Build ID: ([0-9a-f]+)/.exec(stdout)![1]!;
}

describe('builtAgainstOf', () => {
  it('reads the build-ids of the vmlinux and of each target module, as readelf does', async () => {
    const vmlinux = await linkFakeKernel(join(tmp.path, 'vmlinux'), { structs: {}, debugInfo: false });
    const binfmt = await linkFakeKernel(join(tmp.path, 'binfmt_misc.ko'), {
      structs: { a: 'struct a { int x; };' },
      debugInfo: false,
    });
    const { builtAgainst, warnings } = await builtAgainstOf(vmlinux, new Map([['binfmt_misc', binfmt]]));
    expect(warnings).toEqual([]);
    expect(builtAgainst).toEqual({
      vmlinux: await readelfBuildId(vmlinux),
      modules: [{ name: 'binfmt_misc', buildId: await readelfBuildId(binfmt) }],
    });
    expect(builtAgainst.vmlinux).not.toBe(builtAgainst.modules[0]!.buildId);
  });

  it('warns about a file without a build-id and records nothing for it', async () => {
    const bare = await linkFakeKernel(join(tmp.path, 'bare'), { structs: {}, debugInfo: false, buildId: false });
    const { builtAgainst, warnings } = await builtAgainstOf(bare, new Map([['minix', bare]]));
    expect(builtAgainst).toEqual({ modules: [] });
    expect(warnings).toEqual([
      `${bare} has no GNU build-id: the module does not record the kernel's identity, and tsbuild-patch-ctl checks only its vermagic`,
      `${bare} (target module minix) has no GNU build-id: it is not recorded`,
    ]);
  });
});

describe("the C skeleton's MODULE_INFO", () => {
  it('records the vmlinux and every target module, one MODULE_INFO each', async () => {
    const { source } = await generateModuleSources({
      ...SPEC,
      builtAgainst: {
        vmlinux: 'ab'.repeat(20),
        modules: [
          { name: 'binfmt_misc', buildId: 'cd'.repeat(20) },
          { name: 'minix', buildId: 'ef'.repeat(20) },
        ],
      },
    });
    expect(source).toContain(
      [
        `MODULE_INFO(${VMLINUX_BUILD_ID_KEY}, "${'ab'.repeat(20)}");`,
        `MODULE_INFO(${TARGET_BUILD_ID_KEY}, "binfmt_misc:${'cd'.repeat(20)}");`,
        `MODULE_INFO(${TARGET_BUILD_ID_KEY}, "minix:${'ef'.repeat(20)}");`,
      ].join('\n'),
    );
    expect(source).not.toMatch(/@[A-Z_]+@/);
  });

  it('records nothing without build-ids (and a module built so loads as an old one)', async () => {
    expect((await generateModuleSources(SPEC)).source).not.toContain('build_id');
    expect(builtAgainstModinfo({ modules: [] })).toBe('');
  });

  it('refuses what is not a build-id or a module name', () => {
    expect(() => builtAgainstModinfo({ vmlinux: 'AB"); evil', modules: [] })).toThrow(/not lowercase hex/);
    expect(() => builtAgainstModinfo({ modules: [{ name: 'a:b', buildId: 'ab' }] })).toThrow(/cannot be recorded/);
  });

  it('uses the keys tsbuild-patch-ctl reads (its shell copy)', async () => {
    const script = await readFile(CTL_IDENTITY, 'utf8');
    expect(script).toContain(`\nVMLINUX_BUILD_ID_KEY=${VMLINUX_BUILD_ID_KEY}\n`);
    expect(script).toContain(`\nTARGET_BUILD_ID_KEY=${TARGET_BUILD_ID_KEY}\n`);
  });
});
