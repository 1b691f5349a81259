// Checks, on a prepared tree, that objects made by the recorded sub-makes (src/kbuild/replayed-make.ts)
// are byte for byte those make makes with the top Makefile (object and .cmd), and times both.
// Usage: node scripts/check-replayed-make-objects.mjs TREE_ENTRY '{"KCFLAGS":...,"CC":...,"KERNELRELEASE":...}' OBJECT...
// (TREE_ENTRY: ~/.cache/tsbuild-patch/trees/<key>; the tree's make variables as its build.log shows them). Needs dist/.
import { copyFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname, basename } from 'node:path';
const dist = new URL('../dist', import.meta.url).pathname;
const work = await mkdtemp(join(tmpdir(), 'tsbp-check-'));
const { runMake } = await import(`${dist}/kbuild/make.js`);
const { runReplayedMake } = await import(`${dist}/kbuild/replayed-make.js`);
const { withDirLock } = await import(`${dist}/util/lock.js`);
const { treeLock } = await import(`${dist}/kbuild/tree-slots.js`);
const [entry, vars, ...objects] = process.argv.slice(2);
const tree = join(entry, 'linux');
const options = (targets) => ({
  tree,
  targets,
  logFile: `${work}/verify.log`,
  what: 'verify',
  prepared: true,
  assumeOld: ['tools/bpf/resolve_btfids'],
  vars: JSON.parse(vars),
});
const keep = await mkdtemp(`${work}/keep-`);
const cmdOf = (o) => join(dirname(o), `.${basename(o)}.cmd`);
const forget = async (o) => {
  await rm(join(tree, o), { force: true });
  await rm(join(tree, cmdOf(o)), { force: true });
};
const save = async (o, tag) => {
  for (const f of [o, cmdOf(o)]) await copyFile(join(tree, f), `${work}/${f.replaceAll('/', '_')}.${tag}`);
};
const same = async (o) => {
  let ok = true;
  for (const f of [o, cmdOf(o)]) {
    const a = await readFile(`${work}/${f.replaceAll('/', '_')}.make`);
    const b = await readFile(`${work}/${f.replaceAll('/', '_')}.replay`);
    if (!a.equals(b)) {
      ok = false;
      console.log(`DIFFERENT: ${f}`);
    }
  }
  return ok;
};
await withDirLock(
  treeLock(entry),
  () => console.log('waiting for the tree lock'),
  async () => {
    // A recording made for another object first (the goals are put back).
    let t = performance.now();
    await runReplayedMake({ ...options(['lib/sort.o']), keep: { dir: keep, name: 'objects' }, goalsVary: true });
    console.log(`record + replay lib/sort.o: ${((performance.now() - t) / 1000).toFixed(2)} s`);
    for (const o of objects) {
      await forget(o);
      t = performance.now();
      await runMake(options([o]));
      const tm = (performance.now() - t) / 1000;
      await save(o, 'make');
      await forget(o);
      t = performance.now();
      await runReplayedMake({ ...options([o]), keep: { dir: keep, name: 'objects' }, goalsVary: true });
      const tr = (performance.now() - t) / 1000;
      await save(o, 'replay');
      console.log(
        `${o}: make ${tm.toFixed(2)} s, replayed ${tr.toFixed(2)} s, ${(await same(o)) ? 'identical object and .cmd' : 'DIFFERENT'}`,
      );
    }
    // Several at once, in different directories.
    for (const o of objects) await forget(o);
    t = performance.now();
    await runReplayedMake({ ...options(objects), jobs: 2, keep: { dir: keep, name: 'objects' }, goalsVary: true });
    console.log(`all ${objects.length} replayed together (-j2): ${((performance.now() - t) / 1000).toFixed(2)} s`);
    for (const o of objects) {
      await save(o, 'replay');
      console.log(`  ${o}: ${(await same(o)) ? 'identical' : 'DIFFERENT'}`);
    }
  },
);
console.log(`kept: ${keep}`);
