// Checks that a livepatch module built by the recorded sub-makes (src/kbuild/replayed-make.ts) is, file for
// file, the one make builds with the top Makefile (the recording made in another directory first), and times both.
// Usage: node scripts/check-replayed-make-module.mjs TREE_ENTRY 'VARS_JSON' SOURCE_DIR MODULE_NAME
// (SOURCE_DIR: Kbuild, livepatch-module.c and the *_shipped objects of a kept module directory, --keep-tmp). Needs dist/.
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const dist = new URL('../dist', import.meta.url).pathname;
const work = await mkdtemp(join(tmpdir(), 'tsbp-check-'));
const { buildModule } = await import(`${dist}/emit/build-module.js`);
const { withDirLock } = await import(`${dist}/util/lock.js`);
const { treeLock } = await import(`${dist}/kbuild/tree-slots.js`);
const [entry, vars, source, name] = process.argv.slice(2);
const tree = join(entry, 'linux');
const keep = await mkdtemp(`${work}/keep-module-`);
const sources = ['Kbuild', 'livepatch-module.c', ...(await readdir(source)).filter((f) => f.endsWith('_shipped'))];
async function fresh(dir) {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const f of sources) await cp(join(source, f), join(dir, f));
  for (const f of sources.filter((f) => f.endsWith('_shipped'))) {
    const o = f.replace(/_shipped$/, '');
    await cp(join(source, f), join(dir, o));
    await writeFile(join(dir, `.${o}.cmd`), `cmd_${join(dir, o)} := cat ${join(dir, f)} > ${join(dir, o)}\n`);
  }
}
const build = async (dir, recordings) => {
  const t = performance.now();
  await buildModule({
    tree,
    dir,
    name,
    allowUnresolved: true,
    jobs: 2,
    vars: JSON.parse(vars),
    ...(recordings ? { recordings } : {}),
  });
  return ((performance.now() - t) / 1000).toFixed(2);
};
const snapshot = async (dir) => {
  const out = new Map();
  for (const f of (await readdir(dir)).sort()) if (f !== 'build.log') out.set(f, await readFile(join(dir, f)));
  return out;
};
await withDirLock(
  treeLock(entry),
  () => console.log('waiting for the tree lock'),
  async () => {
    const base = await mkdtemp(`${work}/mod-`);
    const d0 = join(base, 'a', 'module');
    await fresh(d0);
    console.log(`record + replay in another directory: ${await build(d0, keep)} s`);
    const d = join(base, 'b', 'module');
    await fresh(d);
    console.log(`make: ${await build(d)} s`);
    const made = await snapshot(d);
    await fresh(d);
    console.log(`replayed: ${await build(d, keep)} s`);
    const replayed = await snapshot(d);
    let same = made.size === replayed.size;
    for (const [f, bytes] of made)
      if (!replayed.get(f)?.equals(bytes)) {
        same = false;
        console.log(`DIFFERENT: ${f}`);
      }
    for (const f of replayed.keys())
      if (!made.has(f)) {
        same = false;
        console.log(`only replayed: ${f}`);
      }
    console.log(same ? `identical: ${[...made.keys()].join(' ')}` : 'DIFFERENT');
    await fresh(d);
    console.log(`replayed again: ${await build(d, keep)} s`);
  },
);
console.log(`kept: ${keep}`);
