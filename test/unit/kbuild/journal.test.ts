import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { repairWorkTree, TreeJournal } from '../../../src/kbuild/journal.js';

let tmp: DirectoryResult;
let entry: string;
let tree: string;
let messages: string[];
const log = (message: string) => void messages.push(message);

beforeEach(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'journal-' });
  entry = join(tmp.path, 'entry');
  tree = join(tmp.path, 'linux');
  await mkdir(entry);
  await mkdir(tree);
  messages = [];
});
afterEach(async () => tmp?.cleanup());

interface Snapshot {
  content: string;
  mtimeNs: bigint;
  mode: bigint;
}

/** Write a file with a chosen mtime that has a nanosecond part (touch uses utimensat). */
async function original(relative: string, content: string, when: string, mode = 0o644): Promise<string> {
  const path = join(tree, relative);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  await chmod(path, mode);
  await execa('touch', ['-m', '-d', when, path]);
  return path;
}

async function snapshot(path: string): Promise<Snapshot> {
  const info = await stat(path, { bigint: true });
  return { content: await readFile(path, 'utf8'), mtimeNs: info.mtimeNs, mode: info.mode };
}

/** The pid of a process that has exited (what a run killed with SIGKILL leaves in its journal). */
async function deadPid(): Promise<number> {
  const child = execa('true');
  const pid = child.pid;
  await child;
  if (pid === undefined) throw new Error('true did not start');
  return pid;
}

const journalPath = () => join(entry, 'patch-journal.json');
const readJournal = async () =>
  JSON.parse(await readFile(journalPath(), 'utf8')) as {
    pid: number;
    records: Array<{ path: string; existed: boolean }>;
  };

/** A tree with a file to modify, one to delete, one to create and an object in a directory that goes away. */
async function prepareTree() {
  const files = {
    modified: await original('fs/proc/cmdline.c', 'int cmdline;\n', '2021-03-04 05:06:07.123456789'),
    deleted: await original('kernel/gone.c', 'int gone;\n', '2020-01-02 03:04:05.987654321', 0o755),
    object: await original('drivers/demo/obj/demo.o', 'ELF bytes\n', '2019-12-31 23:59:59.000000001'),
    created: join(tree, 'kernel/new.c'),
  };
  const before = {
    modified: await snapshot(files.modified),
    deleted: await snapshot(files.deleted),
    object: await snapshot(files.object),
  };
  expect(before.modified.mtimeNs % 1_000_000_000n).toBe(123456789n);
  return { files, before };
}

/** Do to the tree what a patched build does. */
async function changeTree(files: Awaited<ReturnType<typeof prepareTree>>['files']) {
  await writeFile(files.modified, 'int cmdline = 42;\n');
  await rm(files.deleted);
  await writeFile(files.created, 'int created;\n');
  await rm(join(tree, 'drivers/demo/obj'), { recursive: true });
}

async function expectRestored(
  files: Awaited<ReturnType<typeof prepareTree>>['files'],
  before: Awaited<ReturnType<typeof prepareTree>>['before'],
) {
  expect(await snapshot(files.modified)).toEqual(before.modified);
  expect(await snapshot(files.deleted)).toEqual(before.deleted);
  expect(await snapshot(files.object)).toEqual(before.object);
  expect(existsSync(files.created)).toBe(false);
  expect(existsSync(journalPath())).toBe(false);
  expect(existsSync(join(entry, 'patch-backup'))).toBe(false);
}

describe('TreeJournal', () => {
  it('puts modified, deleted and created files back with their content, mode and nanosecond mtime', async () => {
    const { files, before } = await prepareTree();
    const journal = await TreeJournal.begin(entry, log);
    await journal.protect([files.modified, files.deleted, files.created]);
    await journal.protect([files.object]);
    await changeTree(files);
    await journal.restore();
    await expectRestored(files, before);
    expect(messages).toEqual([]);
  });

  it('writes the journal to disk, with this process as owner, before anything changes', async () => {
    const { files } = await prepareTree();
    const journal = await TreeJournal.begin(entry, log);
    expect((await readJournal()).records).toEqual([]);
    await journal.protect([files.modified, files.created]);
    const saved = await readJournal();
    expect(saved.pid).toBe(process.pid);
    expect(saved.records.map((r) => [r.path, r.existed])).toEqual([
      [files.modified, true],
      [files.created, false],
    ]);
    await journal.restore();
  });

  it('keeps the first backup of a file protected twice', async () => {
    const { files, before } = await prepareTree();
    const journal = await TreeJournal.begin(entry, log);
    await journal.protect([files.modified]);
    await writeFile(files.modified, 'half patched\n');
    await journal.protect([files.modified]);
    await journal.restore();
    expect(await snapshot(files.modified)).toEqual(before.modified);
  });

  it('restores once however often restore is called (interrupt handler and finally)', async () => {
    const { files, before } = await prepareTree();
    const journal = await TreeJournal.begin(entry, log);
    await journal.protect([files.modified]);
    await writeFile(files.modified, 'patched\n');
    const first = journal.restore();
    expect(journal.restore()).toBe(first);
    await first;
    await writeFile(files.modified, 'changed after the restore\n');
    await journal.restore();
    expect((await snapshot(files.modified)).content).toBe('changed after the restore\n');
    expect(before.modified.content).toBe('int cmdline;\n');
  });
});

describe('repairWorkTree', () => {
  it('does nothing without a journal', async () => {
    expect(await repairWorkTree(entry, log)).toBe(false);
    expect(messages).toEqual([]);
  });

  it('repairs the tree a dead run left patched, and the next journal starts clean', async () => {
    const { files, before } = await prepareTree();
    const journal = await TreeJournal.begin(entry, log);
    await journal.protect([files.modified, files.deleted, files.created, files.object]);
    await changeTree(files);
    // The run dies here: its journal stays, owned by a process that no longer exists.
    const dead = await deadPid();
    const saved = await readJournal();
    await writeFile(journalPath(), JSON.stringify({ ...saved, pid: dead }));

    expect(await repairWorkTree(entry, log)).toBe(true);
    await expectRestored(files, before);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(`run ${dead}`);
    expect(messages[0]).toContain('4 files');
    expect(await repairWorkTree(entry, log)).toBe(false);
  });

  it('TreeJournal.begin repairs what a dead run left before starting', async () => {
    const { files, before } = await prepareTree();
    const journal = await TreeJournal.begin(entry, log);
    await journal.protect([files.modified, files.created]);
    await writeFile(files.modified, 'patched\n');
    await writeFile(files.created, 'new\n');
    const dead = await deadPid();
    await writeFile(journalPath(), JSON.stringify({ ...(await readJournal()), pid: dead }));

    const next = await TreeJournal.begin(entry, log);
    expect(await snapshot(files.modified)).toEqual(before.modified);
    expect(existsSync(files.created)).toBe(false);
    expect((await readJournal()).records).toEqual([]);
    await next.restore();
  });

  it('leaves alone a journal whose owner is still running', async () => {
    const owner = execa('sleep', ['30']);
    try {
      const pid = owner.pid;
      if (pid === undefined) throw new Error('sleep did not start');
      const created = join(tree, 'kernel/being-built.c');
      await mkdir(dirname(created), { recursive: true });
      await writeFile(created, 'int x;\n');
      const journal = { pid, started: new Date().toISOString(), records: [{ path: created, existed: false }] };
      await writeFile(journalPath(), JSON.stringify(journal));

      expect(await repairWorkTree(entry, log)).toBe(false);
      expect(existsSync(created)).toBe(true);
      expect(existsSync(journalPath())).toBe(true);
      expect(messages).toEqual([]);
    } finally {
      owner.kill();
      await owner.catch(() => undefined);
    }
  });
});
