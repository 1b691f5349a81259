/** A synthetic cache root laid out as the tool writes it (see src/cache/entries.ts). */
import { execa } from 'execa';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export const R57 = '6.1.0-57-amd64';
export const R50 = '6.1.0-50-amd64';

export async function put(path: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}

/** Give every file and directory under PATH the time WHEN (`touch -d` syntax). */
export async function age(path: string, when: string): Promise<void> {
  await execa('sh', ['-c', 'find "$1" -exec touch -h -d "$2" {} +', 'age', path, when]);
}

/** A prepared tree for RELEASE: sources (100 kB), outputs (20 kB), and its cache entry's files. */
async function preparedTree(entry: string, release: string): Promise<void> {
  const tree = join(entry, 'linux');
  for (let i = 0; i < 10; i++) await put(join(tree, `kernel/f${i}.c`), Buffer.alloc(10_000, 65 + i));
  await age(tree, '2023-01-01');
  await put(join(entry, 'populated.ok'), 'x\n');
  await put(join(tree, 'include/generated/utsrelease.h'), `#define UTS_RELEASE "${release}"\n`);
  await put(join(tree, 'kernel/f0.o'), Buffer.alloc(20_000, 1));
  await put(join(entry, 'prepared.ok'), 'x\n');
}

/** A slot of a tree as tree-slots makes it: sources hard-linked, outputs copied. */
async function slot(treeEntry: string, index: number): Promise<string> {
  const entry = join(treeEntry, 'slots', String(index));
  await mkdir(entry, { recursive: true });
  await execa('cp', ['-al', join(treeEntry, 'linux'), join(entry, 'linux')]);
  for (const output of ['include/generated/utsrelease.h', 'kernel/f0.o']) {
    await execa('cp', ['-p', '--remove-destination', join(treeEntry, 'linux', output), join(entry, 'linux', output)]);
  }
  await put(join(entry, 'copied.ok'), 'x\n');
  return entry;
}

export interface SyntheticCache {
  root: string;
  kernel57: string;
  kernel50: string;
  tree57: string;
  slot57: string;
  tree50: string;
  testKernel: string;
  run: string;
}

export async function syntheticCache(root: string): Promise<SyntheticCache> {
  const kernel57 = join(root, 'kernels/debian-bookworm', `${R57}_6.1.192-3`);
  const kernel50 = join(root, 'kernels/debian-bookworm', `${R50}_6.1.158-1`);
  for (const kernel of [kernel57, kernel50]) {
    await put(join(kernel, 'files/boot/vmlinuz'), Buffer.alloc(50_000, 7));
    await put(join(kernel, 'image.ok'), 'x\n');
  }
  const tree57 = join(root, 'trees/key57');
  const tree50 = join(root, 'trees/key50');
  await preparedTree(tree57, R57);
  await preparedTree(tree50, R50);
  const slot57 = await slot(tree57, 1);
  const testKernel = join(root, 'test-kernel/tkkey');
  await put(join(testKernel, 'linux/include/generated/utsrelease.h'), '#define UTS_RELEASE "6.1.0-test"\n');
  await put(join(testKernel, 'complete.json'), '{}\n');
  await put(join(root, 'test-kernel/tarball-hashes.json'), '{}\n');
  await put(join(root, 'kernel-facts/struct-sizes/abc.json'), '{}\n');
  await put(join(root, 'containers/build-x.log'), 'log\n');
  const run = join(root, 'runs/2026-01-01T00-00-00-000Z-4194305');
  await put(join(run, 'run.log'), 'a finished run\n');
  await put(join(root, 'notes.txt'), "not the tool's\n");
  return { root, kernel57, kernel50, tree57, slot57, tree50, testKernel, run };
}
