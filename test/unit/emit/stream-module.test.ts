import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readElf } from '../../../src/elf/index.js';
import { generateModuleSources } from '../../../src/emit/generate.js';
import { streamModuleName } from '../../../src/emit/livepatch-name.js';
import { loaderModinfo } from '../../../src/emit/loader-modinfo.js';
import type { PatchModuleSpec } from '../../../src/emit/spec.js';
import { modinfoEntries } from '../../../src/kernel/modinfo.js';
import {
  checkStreamName,
  checkStreamVersion,
  loaderFactsOf,
  REPLACE_KEY,
  STREAM_KEY,
  STREAM_VERSION_KEY,
  streamPackageName,
} from '../../../src/kernel/stream-facts.js';

// A stream's build: its module's name carries the stream and the version; its .modinfo records
// both and whether it uses atomic replace, for the loader (kmod's modinfo reads them as
// tsbuild-patch-ctl does) and for the package builder (our reader).
let tmp: DirectoryResult;
beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'stream-module-' });
});
afterAll(async () => tmp?.cleanup());

const SPEC: PatchModuleSpec = {
  name: 'livepatch-cve-fixes-3',
  description: 'fixes',
  patches: ['a.patch', 'b.patch'],
  kernelRelease: '6.1.0-57-amd64',
  toolVersion: '0.1.0',
  replace: false,
  objects: [{ name: null, funcs: [{ oldName: 'f', newSymbol: 'tsbp_new_f', sympos: 0 }], callbacks: {} }],
  diffedObjects: ['f.o'],
};

/** The MODULE_INFO lines of SOURCE compiled as the kernel's modpost leaves them: strings in .modinfo. */
async function compiledModinfo(source: string, name: string): Promise<string> {
  const lines = source.split('\n').filter((l) => l.startsWith('MODULE_INFO('));
  const c = join(tmp.path, `${name}.c`);
  await writeFile(
    c,
    [
      '#define __S(x) #x',
      '#define __CAT2(a, b) a##b',
      '#define __CAT(a, b) __CAT2(a, b)',
      '#define MODULE_INFO(tag, info) __attribute__((used, section(".modinfo"), aligned(1))) static const char __CAT(m, __LINE__)[] = __S(tag) "=" info',
      `MODULE_INFO(name, "${name}");`,
      ...lines,
      '',
    ].join('\n'),
  );
  const ko = join(tmp.path, `${name}.ko`);
  await execa('gcc', ['-c', c, '-o', ko]);
  return ko;
}

const kmodModinfo = async (ko: string, key: string) => String((await execa('modinfo', ['-F', key, ko])).stdout);

describe("a stream's module", () => {
  it('is named livepatch-<stream>-<version>, its package livepatch-<stream>', () => {
    expect(streamModuleName({ name: 'cve-fixes', version: 3 })).toBe('livepatch-cve-fixes-3');
    expect(streamPackageName('cve-fixes')).toBe('livepatch-cve-fixes');
    expect(streamModuleName({ name: 'a'.repeat(41), version: 123 })).toHaveLength(55);
    expect(() => streamModuleName({ name: 'a'.repeat(42), version: 123 })).toThrow(/too long.*56 characters/);
  });

  it('takes lower-case words joined by single dashes, and versions from 1', () => {
    for (const bad of ['CVE', 'cve_fixes', '-a', 'a-', 'a--b', '', 'a b', 'é'])
      expect(() => checkStreamName(bad), bad).toThrow(/stream name/);
    for (const bad of ['0', '01', '-1', '1.5', 'v2', ''])
      expect(() => checkStreamVersion(bad), bad).toThrow(/stream version/);
    expect(checkStreamVersion('12')).toBe(12);
  });

  it('records its stream, version and atomic replace in .modinfo, read back by kmod and by the package builder', async () => {
    const { source } = await generateModuleSources({ ...SPEC, stream: { name: 'cve-fixes', version: 3 } });
    expect(source).toContain(
      [
        `MODULE_INFO(${REPLACE_KEY}, "N");`,
        `MODULE_INFO(${STREAM_KEY}, "cve-fixes");`,
        `MODULE_INFO(${STREAM_VERSION_KEY}, "3");`,
      ].join('\n'),
    );
    const ko = await compiledModinfo(source, 'livepatch_cve_fixes_3');
    expect(await kmodModinfo(ko, STREAM_KEY)).toBe('cve-fixes');
    expect(await kmodModinfo(ko, STREAM_VERSION_KEY)).toBe('3');
    expect(await kmodModinfo(ko, REPLACE_KEY)).toBe('N');
    expect(loaderFactsOf(modinfoEntries(await readElf(ko)), ko)).toEqual({
      replace: false,
      stream: { name: 'cve-fixes', version: 3 },
    });
  });

  it('outside a stream, records only atomic replace', async () => {
    const { source } = await generateModuleSources({ ...SPEC, replace: true });
    expect(source).not.toContain(STREAM_KEY);
    const ko = await compiledModinfo(source, 'livepatch_plain');
    expect(await kmodModinfo(ko, REPLACE_KEY)).toBe('Y');
    expect(loaderFactsOf(modinfoEntries(await readElf(ko)), ko)).toEqual({ replace: true, stream: undefined });
  });

  it("refuses to record a bad stream, and a module's .modinfo with half a stream", () => {
    expect(() => loaderModinfo(false, { name: 'a"); evil', version: 1 })).toThrow(/stream name/);
    expect(() =>
      loaderFactsOf([{ key: STREAM_KEY, value: 'a' }] as Parameters<typeof loaderFactsOf>[0], 'x.ko'),
    ).toThrow(`x.ko: its .modinfo records ${STREAM_KEY} alone`);
  });
});
