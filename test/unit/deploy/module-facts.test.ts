import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLivepatchModule } from '../../../src/deploy/package/module-facts.js';
import { fakeLivepatchModule } from './fake-livepatch.js';

let tmp: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true });
});
afterAll(async () => tmp.cleanup());

describe('readLivepatchModule', () => {
  it('reads name, release, replace and the patched functions of every object', async () => {
    const ko = await fakeLivepatchModule(tmp.path, {
      name: 'livepatch-fix-2',
      release: '6.1.0-57-amd64',
      patches: ['a.patch', 'b.patch'],
      objects: {
        vmlinux: [{ name: 'cmdline_proc_show' }, { name: 'helper', sympos: 2 }],
        binfmt_misc: [{ name: 'bm_status_read' }],
      },
    });
    const facts = await readLivepatchModule(ko);
    expect(facts.name).toBe('livepatch_fix_2');
    expect(facts.release).toBe('6.1.0-57-amd64');
    expect(facts.vermagic).toBe('6.1.0-57-amd64 SMP preempt mod_unload modversions ');
    expect(facts.replace).toBe(true);
    expect(facts.stream).toBeUndefined();
    expect(facts.description).toBe('livepatch built by tsbuild-patch from a.patch, b.patch');
    expect(facts.objects).toEqual([
      {
        object: 'vmlinux',
        functions: [
          { name: 'cmdline_proc_show', sympos: 0 },
          { name: 'helper', sympos: 2 },
        ],
      },
      { object: 'binfmt_misc', functions: [{ name: 'bm_status_read', sympos: 0 }] },
    ]);
  });

  it('sees a module built without atomic replace', async () => {
    const ko = await fakeLivepatchModule(tmp.path, {
      name: 'livepatch-noreplace',
      release: '6.1.0-57-amd64',
      replace: false,
    });
    expect((await readLivepatchModule(ko)).replace).toBe(false);
  });

  it('reads the stream and version a build of a stream records', async () => {
    const ko = await fakeLivepatchModule(tmp.path, {
      name: 'livepatch-cve-fixes-3',
      release: '6.1.0-57-amd64',
      stream: { name: 'cve-fixes', version: 3 },
    });
    expect((await readLivepatchModule(ko)).stream).toEqual({ name: 'cve-fixes', version: 3 });
  });
});
