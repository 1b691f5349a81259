// The README's main job as a newcomer runs it on a fresh machine: a copy of the checkout with no
// node_modules and no dist, an empty cache, and a podman image store of its own (no base image,
// no builder image), so every step the job needs is taken, none is found done by an earlier test.
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { dir as tmpDir } from 'tmp-promise';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** The command the README gives for the main job, read from the README itself. */
async function readmeMainJob(): Promise<string> {
  const readme = await readFile(join(REPO, 'README.md'), 'utf8');
  const command = readme
    .split('\n')
    .find((line) => line.includes('npm run example') && !line.trimStart().startsWith('#'));
  if (!command) throw new Error('README.md has no line running `npm run example`');
  return command.trim();
}

/** The files a fresh clone has: tracked ones and new ones not ignored (this checkout's state). */
async function copyCheckout(into: string): Promise<void> {
  const { stdout } = await execa('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO,
  });
  for (const file of stdout.split('\0').filter(Boolean)) {
    const target = join(into, file);
    await mkdir(dirname(target), { recursive: true });
    await cp(join(REPO, file), target, { preserveTimestamps: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error; // a tracked file deleted in this checkout
    });
  }
}

describe('the README main job on a fresh machine', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('builds and proves the example from an empty cache, without node_modules, dist or any image', async () => {
    const scratch = await tmpDir({ prefix: 'tsbp-fresh-', unsafeCleanup: true });
    const checkout = join(scratch.path, 'tsbuild-patch');
    const cache = join(scratch.path, 'cache');
    const store = join(scratch.path, 'containers');
    await copyCheckout(checkout);
    // A podman image store of its own: the base image and the builder image must be made anew.
    const storageConf = join(scratch.path, 'storage.conf');
    await writeFile(
      storageConf,
      `[storage]\ndriver = "overlay"\ngraphroot = "${store}/graph"\nrunroot = "${store}/run"\n`,
    );
    const env = { TSBUILD_PATCH_CACHE: cache, CONTAINERS_STORAGE_CONF: storageConf };
    // Cleanup and the check below name the store explicitly, never touching the machine's own.
    const inStore = ['--root', `${store}/graph`, '--runroot', `${store}/run`, '--storage-driver', 'overlay'];
    cleanups.push(async () => {
      await execa('podman', [...inStore, 'rmi', '--all', '--force'], { reject: false });
      await rm(scratch.path, { recursive: true, force: true });
    });
    const images = await execa('podman', ['images', '--quiet'], { env });
    expect(images.stdout.trim()).toBe('');

    const command = await readmeMainJob();
    process.stderr.write(`fresh machine: ${command} (in a copy of the checkout, cache ${cache})\n`);
    const started = Date.now();
    const run = await execa('bash', ['-c', command], { cwd: checkout, env, reject: false, all: true, stdin: 'ignore' });
    const seconds = (Date.now() - started) / 1000;
    process.stderr.write(`fresh machine: the main job took ${seconds.toFixed(0)} s, exit ${run.exitCode}\n`);
    const output = run.all ?? '';
    if (run.exitCode !== 0)
      throw new Error(`the README's main job failed (exit ${run.exitCode}):\n${output.slice(-4000)}`);

    // Every step was taken: dependencies installed, the image made from nothing, packages fetched.
    expect(output).toContain('seeding the podman base image');
    expect(output).toContain('building the podman image tsbuild-patch-builder');
    expect(output).toMatch(/downloaded linux-source-6\.1/);
    expect(output).toMatch(/preparing the tree for 6\.1\.0-\d+-amd64/);
    // Configured from Debian's own Kconfig outputs (its headers package), and make took them as
    // they are: Kconfig never ran (no kconfig program built, no syncconfig during prepare).
    expect(output).toMatch(/configured with the kernel's own Kconfig outputs \(.*linux-headers-6\.1\.0-\d+-amd64\)/);
    const tree = /preparing the tree for .*log: (\S+build\.log)\)/.exec(output)?.[1];
    const buildLog = await readFile(tree!, 'utf8');
    expect(buildLog).not.toMatch(/olddefconfig|SYNC|scripts\/kconfig\/conf/);

    // The example's guest script: /proc/cmdline before, while patched, and after.
    const line = (label: string) => output.match(new RegExp(`^${label}:\\s+(.*)$`, 'm'))?.[1];
    const [before, patched, after] = [line('before'), line('patched'), line('after')];
    expect(before).toBeDefined();
    expect(before).not.toContain('livepatch=tsbuild-patch');
    expect(patched).toBe(`${before} livepatch=tsbuild-patch`);
    expect(after).toBe(before);
  });
});
