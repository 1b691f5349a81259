import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir as tmpDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { engineCall, PODMAN } from '../../src/toolchain/container/engine.js';
import { builderImageTag, ensureBuilderImage } from '../../src/toolchain/container/builder-image.js';
import { probeEngine } from '../../src/toolchain/container/probe.js';
import { selectRunner } from '../../src/toolchain/container/select-runner.js';
import { checkImageToolchain } from '../../src/toolchain/container/image-toolchain.js';

// Image management with podman (installed by scripts/install-deps.sh), on small images built
// from Dockerfiles written here; the base image is seeded on first use like the real one.
describe('build image management (podman)', () => {
  it('probes podman as working, and auto picks it', async () => {
    expect(await probeEngine(PODMAN)).toMatchObject({ ok: true });
    expect((await selectRunner('auto', () => {})).kind).toBe('podman');
  });

  it('builds an image once when two callers race for it', async () => {
    const { path: context, cleanup } = await tmpDir({ unsafeCleanup: true });
    const dockerfile = `FROM debian:bookworm\nLABEL tsbuild-patch.test-nonce="${process.pid}-${Date.now()}"\n`;
    await writeFile(join(context, 'Dockerfile'), dockerfile);
    const tag = builderImageTag(dockerfile);
    const messages: string[] = [];
    const log = (message: string) => messages.push(message);
    try {
      const [first, second] = await Promise.all([
        ensureBuilderImage(PODMAN, log, context),
        ensureBuilderImage(PODMAN, log, context),
      ]);
      expect(first.tag).toBe(tag);
      expect(second).toEqual(first);
      expect(messages.filter((m) => m.startsWith('building the podman image'))).toHaveLength(1);
      expect(messages.some((m) => m.includes('which is preparing the podman build image'))).toBe(true);
      // Present now: a third call only looks it up.
      messages.length = 0;
      expect(await ensureBuilderImage(PODMAN, log, context)).toEqual(first);
      expect(messages).toEqual([]);
    } finally {
      await engineCall(PODMAN, ['rmi', '--force', tag]);
      await cleanup();
    }
  });

  it("refuses an image whose gcc is not the host's", async () => {
    const { path: context, cleanup } = await tmpDir({ unsafeCleanup: true });
    // Debian bookworm also ships gcc-11: an image whose `gcc` is that one must be refused.
    await writeFile(
      join(context, 'Dockerfile'),
      [
        'FROM debian:bookworm',
        'RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gcc-11 binutils \\',
        ' && ln -s gcc-11 /usr/bin/gcc && rm -rf /var/lib/apt/lists/*',
        '',
      ].join('\n'),
    );
    try {
      const image = await ensureBuilderImage(PODMAN, () => {}, context);
      await expect(checkImageToolchain(PODMAN, image)).rejects.toThrow(
        /has another toolchain than this host \(gcc: image "gcc \(Debian 11\.[^"]*\) 11\.[^"]*", host "gcc \(Debian 12\./,
      );
    } finally {
      await cleanup();
    }
  });
});
