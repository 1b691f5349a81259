// npm run corpus:build — the corpus of issue 10: one patch per .c file that changed between
// linux-source-6.1 6.1.176-1 and 6.1.187-1 and that Debian's 6.1.0-50-amd64 built (vmlinux or
// a module of its image), one per changed header that built objects include, and a manifest.
// Generated under <cacheRoot()>/corpus/<old>..<new>/ (src/util/cache.ts; ~/.cache/tsbuild-patch by default).
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { includeGraph, sourcesIncluding } from '../../src/kbuild/include-graph.js';
import { preparePreparedTree } from '../../src/kbuild/prepared-tree.js';
import { hostRunner } from '../../src/toolchain/runner.js';
import { readJsonCache, writeFileAtomic } from '../../src/util/atomic-file.js';
import { stderrLogger as log } from '../../src/util/log.js';
import { analyze } from './analyze.js';
import { changedFiles } from './changed-files.js';
import type { CorpusEntry, Manifest } from './manifest.js';
import { corpusDir, manifestPath, NEW_VERSION, OLD_VERSION, patchesDir, RELEASE } from './paths.js';
import { excludedByPolicy } from './policy.js';
import { filePatch } from './file-patch.js';
import { prepareSources } from './sources.js';
import { builtInto, type BuiltInto } from './targets.js';

const idOf = (file: string) => file.replace(/\//g, '__');

async function applies(oldTree: string, patch: string): Promise<boolean> {
  const result = await execa('patch', ['-p1', '--dry-run', '-s', '-f', '-d', oldTree, '-i', patch], { reject: false });
  return result.exitCode === 0;
}

async function main(): Promise<void> {
  const { target, oldTree, newTree } = await prepareSources();
  const tree = await preparePreparedTree({ target, runner: hostRunner, log, jobs: 2 });
  const changed = await changedFiles(oldTree, newTree);
  log(`changed: ${changed.sources.length} .c, ${changed.headers.length} .h`);
  const excluded: Manifest['excluded'] = [];
  const keep = (file: string) => {
    const why = excludedByPolicy(file);
    if (why) excluded.push({ file, why: `policy: ${why}` });
    return !why;
  };
  const sources = changed.sources.filter(keep);
  const headers = changed.headers.filter(keep);

  // Headers: the sources that may include each (include graph of the prepared tree).
  const graph = await includeGraph(tree.dir, join(tree.entry, 'include-graph.json'));
  const includersOf = new Map(headers.map((h) => [h, sourcesIncluding(graph, h)]));
  const allIncluders = new Set([...includersOf.values()].flat());
  log(`deciding where ${sources.length} sources and ${allIncluders.size} header includers are built`);
  // Remembered per corpus (the kernel and both trees are fixed): deciding takes minutes.
  const cacheFile = join(corpusDir(), 'built-into.json');
  const cached = (await readJsonCache<Array<[string, BuiltInto]>>(cacheFile, log)) ?? [];
  const built =
    cached.length > 0
      ? new Map(cached)
      : await builtInto({ target, tree, sources: [...new Set([...sources, ...allIncluders])] });
  if (cached.length === 0) await writeFileAtomic(cacheFile, JSON.stringify([...built]));

  await rm(patchesDir(), { recursive: true, force: true });
  await mkdir(patchesDir(), { recursive: true });
  const entries: CorpusEntry[] = [];
  const add = async (file: string, targetName: string, extra: Partial<CorpusEntry>) => {
    const text = await filePatch(oldTree, newTree, file);
    const patch = join('patches', `${idOf(file)}.patch`);
    await writeFile(join(corpusDir(), patch), text);
    if (!(await applies(oldTree, join(corpusDir(), patch)))) {
      excluded.push({ file, why: 'patch does not apply with patch -p1' });
      return;
    }
    const [oldText, newText] = await Promise.all([
      readFile(join(oldTree, file), 'utf8'),
      readFile(join(newTree, file), 'utf8'),
    ]);
    const a = analyze(oldText, newText, text);
    const lines = text.split('\n');
    entries.push({
      id: idOf(file),
      file,
      patch,
      target: targetName,
      class: file.endsWith('.h') ? 'headers' : a.class,
      functions: a.functions,
      newFunctions: a.newFunctions,
      initFunctions: a.initFunctions,
      topLevel: a.topLevel.slice(0, 8),
      commentsOnly: a.commentsOnly,
      added: lines.filter((l) => l.startsWith('+') && !l.startsWith('+++')).length,
      removed: lines.filter((l) => l.startsWith('-') && !l.startsWith('---')).length,
      ...extra,
    });
  };
  for (const file of sources) {
    const where = built.get(file)!;
    if (where.kind === 'not-built') excluded.push({ file, why: `not built by ${RELEASE}: ${where.why}` });
    else
      await add(
        file,
        where.kind === 'vmlinux' ? 'vmlinux' : where.module,
        where.kind === 'module' ? { ko: where.ko } : {},
      );
  }
  for (const header of headers) {
    const targets = new Set<string>();
    let includers = 0;
    for (const source of includersOf.get(header)!) {
      const where = built.get(source);
      if (!where || where.kind === 'not-built') continue;
      includers++;
      targets.add(where.kind === 'vmlinux' ? 'vmlinux' : where.module);
    }
    if (includers === 0) excluded.push({ file: header, why: `no object built by ${RELEASE} includes it` });
    else {
      const list = [...targets].sort((a, b) => (a === 'vmlinux' ? -1 : b === 'vmlinux' ? 1 : a.localeCompare(b)));
      await add(header, list.length <= 4 ? list.join(',') : `${list.slice(0, 4).join(',')},+${list.length - 4}`, {
        includers,
      });
    }
  }
  const counts: Record<string, number> = {};
  for (const e of entries) counts[e.class] = (counts[e.class] ?? 0) + 1;
  const manifest: Manifest = {
    oldVersion: OLD_VERSION,
    newVersion: NEW_VERSION,
    release: RELEASE,
    generated: new Date().toISOString(),
    counts,
    excluded,
    entries,
  };
  await writeFileAtomic(manifestPath(), JSON.stringify(manifest, null, 1));
  const byWhy = new Map<string, number>();
  for (const x of excluded)
    byWhy.set(
      x.why.replace(/module \S+ is/, 'module is'),
      (byWhy.get(x.why.replace(/module \S+ is/, 'module is')) ?? 0) + 1,
    );
  log(
    `corpus: ${entries.length} patches ${JSON.stringify(counts)}; excluded ${excluded.length}: ${JSON.stringify(Object.fromEntries(byWhy))}`,
  );
  log(`manifest: ${manifestPath()}`);
}

await main();
