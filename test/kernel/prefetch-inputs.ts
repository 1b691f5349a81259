/**
 * What the kernel tests will need from the network and the work that follows it, done ahead of
 * them (run by ./background-prefetch.ts at nice 19): each Debian release's packages (verified and
 * unpacked into the kernel cache) and its prepared tree (with the runner the tests build it with:
 * the host for Debian 12, podman on the release's builder image for Debian 13 and the
 * backports), the system VM's root disk for the newest Debian 12 release, and this host's builder
 * image for podman and, when its daemon runs, docker. Each goes through the tool's own cache functions, under their locks,
 * so a test that needs one of them meanwhile waits for it or finds it done. At nice 19 this takes
 * only what the tests leave idle, and a test waiting for it leaves the cores to it. Nothing here
 * is checked: a failure is logged and the test that needs the input meets it.
 *
 * Usage: tsx test/kernel/prefetch-inputs.ts NEWEST OLDER (the Debian 12 releases under test).
 */
import { execa } from 'execa';
import { distroTarget } from '../../src/sources/distro-target.js';
import { treeForTarget } from '../../src/kbuild/tree-for-target.js';
import { hostRunner } from '../../src/toolchain/runner.js';
import { runnerForTarget } from '../../src/toolchain/builder-choice.js';
import { selectRunner } from '../../src/toolchain/container/select-runner.js';
import type { Runner } from '../../src/toolchain/runner.js';
import { debianSystemImage } from '../support/system-vm/image.js';
import { debian13TestReleases } from './debian13/releases.js';

const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

async function step(what: string, work: () => Promise<unknown>): Promise<void> {
  const started = Date.now();
  try {
    await work();
    log(`${what}: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } catch (error) {
    log(`${what}: failed (the test that needs it will meet the error): ${(error as Error).message}`);
  }
}

/**
 * The container engines with this host's builder image: podman, and docker when its daemon
 * answers (the container files build with both; the files on Debian 13's kernels with podman).
 */
async function engines(): Promise<Runner> {
  const podman = await selectRunner('podman', log);
  const docker = await execa('docker', ['info'], { reject: false, stdin: 'ignore' });
  if (docker.exitCode === 0) await step('docker builder image', () => selectRunner('docker', log));
  return podman;
}

const [newest, older] = process.argv.slice(2);

/** RELEASE's packages, its builder image on each of ENGINES, then its tree prepared by TREE_RUNNER. */
async function release(name: string, treeRunner: Runner, engines: readonly Runner[] = []): Promise<void> {
  await step(`packages of ${name}`, async () => {
    const target = await distroTarget(name, log);
    for (const runner of engines)
      await step(`${runner.kind} builder image for ${name}`, () => runnerForTarget(runner, target));
    await step(`tree of ${name} (${treeRunner.kind})`, () => treeForTarget({ target, runner: treeRunner, log }));
  });
}

// The order the files need them in (./sequencer.ts): Debian 12's files build on the host and
// boot the system VM first; the container images (debootstrap each) come after.
if (newest) {
  await release(newest, hostRunner);
  await step(`system VM image of ${newest}`, () => debianSystemImage(newest, log));
}
if (older) await release(older, hostRunner);
const podman = await engines();
const debian13 = await debian13TestReleases().catch((error: unknown) => {
  log(`Debian 13 releases: none chosen: ${(error as Error).message}`);
  return undefined;
});
for (const name of [...(debian13?.trixie ?? []), ...(debian13?.backports ?? [])]) await release(name, podman, [podman]);
log('all fetched');
