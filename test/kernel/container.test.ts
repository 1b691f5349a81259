import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir as tmpDir } from 'tmp-promise';
import { beforeAll, describe, expect, it } from 'vitest';
import { DOCKER } from '../../src/toolchain/container/engine.js';
import { probeEngine } from '../../src/toolchain/container/probe.js';
import { selectRunner, type ContainerChoice } from '../../src/toolchain/container/select-runner.js';
import { runMake } from '../../src/kbuild/make.js';
import type { Runner } from '../../src/toolchain/runner.js';
import { stderrLogger } from '../../src/util/log.js';
import { testKernel } from './test-kernel.js';

// The container path on the real test kernel tree, with both engines: scripts/install-deps.sh
// installs podman and docker.io, so an engine that does not answer fails the tests (naming
// why), it is not skipped.
const dockerProbe = await probeEngine(DOCKER);
const engines: { choice: ContainerChoice; missing: string | undefined }[] = [
  { choice: 'podman', missing: undefined },
  {
    choice: 'docker',
    missing: dockerProbe.ok
      ? undefined
      : `docker does not answer: ${dockerProbe.reason} (scripts/install-deps.sh installs docker.io; its daemon must be running)`,
  },
];

const HELLO_C = `#include <linux/init.h>
#include <linux/module.h>

static int __init container_hello_init(void) { return 0; }
static void __exit container_hello_exit(void) {}
module_init(container_hello_init);
module_exit(container_hello_exit);
MODULE_LICENSE("GPL");
`;

async function vermagic(ko: string): Promise<string> {
  return (await execa('modinfo', ['-F', 'vermagic', ko])).stdout.trim();
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

for (const { choice, missing } of engines) {
  describe(`build container: ${choice}`, () => {
    let runner: Runner;
    let source: string;
    let modulesDir: string;

    beforeAll(async () => {
      if (missing) throw new Error(missing);
      const kernel = await testKernel();
      source = kernel.source;
      modulesDir = kernel.modulesDir;
      const started = Date.now();
      runner = await selectRunner(choice, stderrLogger);
      stderrLogger(`container test: selectRunner(${choice}) -> ${runner.description} in ${seconds(started)}`);
    });

    it('is the requested engine with the Dockerfile-hash image', () => {
      expect(runner.kind).toBe(choice);
      expect(runner.description).toMatch(new RegExp(`^${choice} \\(tsbuild-patch-builder:[0-9a-f]{12}\\)$`));
    });

    it("runs as the host's name and user, with only the given variables, in the given directory", async () => {
      const { path: cwd, cleanup } = await tmpDir({ unsafeCleanup: true });
      try {
        const child = runner.exec(
          'sh',
          ['-c', 'uname -n; echo "$KBUILD_BUILD_USER"; echo "${KCFLAGS-unset} ${ARCH-unset}"; pwd; id -u'],
          {
            cwd,
            env: { ARCH: 'x86_64', KCFLAGS: undefined },
            all: true,
          },
        );
        let output = '';
        child.all?.on('data', (data: Buffer) => {
          output += data.toString();
        });
        const result = await child;
        expect(result.exitCode).toBe(0);
        expect(output.trim().split('\n')).toEqual([
          hostname(),
          userInfo().username,
          'unset x86_64',
          cwd,
          String(process.getuid?.()),
        ]);
      } finally {
        await cleanup();
      }
    });

    it('finds a single object of the host-built tree up to date (same compiler, same paths)', async () => {
      const object = join(source, 'fs/proc/cmdline.o');
      const before = await stat(object);
      const bytes = await readFile(object);
      const { path: logDir, cleanup } = await tmpDir({ unsafeCleanup: true });
      try {
        const logFile = join(logDir, 'make.log');
        const started = Date.now();
        await runMake({ tree: source, targets: ['fs/proc/cmdline.o'], logFile, what: 'container no-op make', runner });
        stderrLogger(`container test: ${choice} make fs/proc/cmdline.o (no-op) in ${seconds(started)}`);
        const after = await stat(object);
        expect(after.mtimeMs).toBe(before.mtimeMs);
        expect((await readFile(object)).equals(bytes)).toBe(true);
        // make ran and reached the object (an unmounted tree would fail with "No such file").
        const log = await readFile(logFile, 'utf8');
        expect(log).toContain(`make -C ${source}`);
        expect(log).not.toMatch(/\bCC\s+fs\/proc\/cmdline\.o/);
      } finally {
        await cleanup();
      }
    });

    it("builds an external module whose vermagic is the test kernel's", async () => {
      const { path: moduleDir, cleanup } = await tmpDir({ unsafeCleanup: true, prefix: 'container-module-' });
      try {
        await writeFile(join(moduleDir, 'container_hello.c'), HELLO_C);
        await writeFile(join(moduleDir, 'Kbuild'), 'obj-m := container_hello.o\n');
        const started = Date.now();
        await runMake({
          tree: source,
          targets: ['modules'],
          vars: { M: moduleDir },
          logFile: join(moduleDir, 'make.log'),
          what: 'container external module',
          runner,
        });
        stderrLogger(`container test: ${choice} external module built in ${seconds(started)}`);
        const ko = join(moduleDir, 'container_hello.ko');
        const sample = join(modulesDir, 'kernel/samples/livepatch/livepatch-sample.ko');
        const [built, reference] = [await vermagic(ko), await vermagic(sample)];
        expect(built).toMatch(/^6\.1\.\d+ /);
        expect(built).toBe(reference);
        // Files written inside belong to the host user (docker --user, podman as root).
        const owner = await stat(ko);
        expect(owner.uid).toBe(process.getuid?.());
        const names = await readdir(moduleDir);
        expect(names).toContain('container_hello.mod.o');
      } finally {
        await cleanup();
      }
    });
  });
}
