import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir as tmpDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import {
  builderRecipe,
  contextRecipe,
  dockerContextDir,
  recipeTag,
} from '../../../src/toolchain/container/builder-image.js';
import { chooseBuilder, runnerForTarget } from '../../../src/toolchain/builder-choice.js';
import {
  hostToolchainIdentity,
  parseToolchainIdentity,
  type ToolchainIdentity,
} from '../../../src/toolchain/compiler.js';
import { hostRunner, type Runner } from '../../../src/toolchain/runner.js';
import { checkToolchain } from '../../../src/toolchain/toolchain-match.js';
import { DEBIAN_BOOKWORM, DEBIAN_TRIXIE, type DistroRelease } from '../../../src/kernel/distributions.js';
import type { TargetKernel } from '../../../src/kernel/target-kernel.js';
import { UserError } from '../../../src/util/errors.js';

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

// The two distribution releases' tools as their builder images report them.
const BOOKWORM_TOOLS: ToolchainIdentity = {
  cc: 'gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0',
  ccVersion: '12.2.0',
  gcc: 'gcc (Debian 12.2.0-14+deb12u1) 12.2.0',
  as: 'GNU assembler (GNU Binutils for Debian) 2.40',
  ld: 'GNU ld (GNU Binutils for Debian) 2.40',
};
const TRIXIE_TOOLS: ToolchainIdentity = {
  cc: 'x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0',
  ccVersion: '14.2.0',
  gcc: 'gcc (Debian 14.2.0-19) 14.2.0',
  as: 'GNU assembler (GNU Binutils for Debian) 2.44',
  ld: 'GNU ld (GNU Binutils for Debian) 2.44',
};
const TRIXIE_CONFIG =
  'CONFIG_LIVEPATCH=y\nCONFIG_CC_VERSION_TEXT="x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0"\nCONFIG_CC_IS_GCC=y\nCONFIG_GCC_VERSION=140200\nCONFIG_LD_VERSION=24400\n';

/** A kernel RELEASE whose "vmlinux" .comment names COMPILER, with CONFIG. */
async function kernel(release: string, compiler: string, config: string): Promise<TargetKernel> {
  const { path: dir } = await tmpDir({ unsafeCleanup: true });
  await writeFile(join(dir, 'k.c'), 'int x;\n');
  await execa('gcc', ['-c', '-o', join(dir, 'vmlinux'), join(dir, 'k.c')]);
  await writeFile(join(dir, 'comment'), `GCC: ${compiler}\0`);
  await execa('objcopy', [
    '--remove-section=.comment',
    `--add-section=.comment=${join(dir, 'comment')}`,
    join(dir, 'vmlinux'),
  ]);
  await writeFile(join(dir, 'config'), config);
  return {
    source: { kind: 'dir', dir },
    config: join(dir, 'config'),
    vmlinux: join(dir, 'vmlinux'),
    symvers: '',
    modulesDir: '',
    release,
    build: { kind: 'prepared', cc: DEBIAN_TRIXIE.compiler, kernelRelease: release },
  };
}

/** A container-like runner (nothing is run): its image's TOOLS, and the distributions it was asked for. */
function fakeEngineRunner(distro: DistroRelease, asked: DistroRelease[] = []): Runner {
  const tools = distro === DEBIAN_TRIXIE ? TRIXIE_TOOLS : BOOKWORM_TOOLS;
  return {
    kind: 'podman',
    description: `podman (tsbuild-patch-builder:${distro.builder.suite})`,
    exec: () => {
      throw new Error('not run in this test');
    },
    toolchain: async (cc) =>
      cc === distro.compiler || cc === 'gcc'
        ? { ...tools, cc: cc === 'gcc' ? tools.gcc : tools.cc! }
        : { gcc: tools.gcc, as: tools.as, ld: tools.ld },
    forDistribution: async (other) => {
      asked.push(other);
      return fakeEngineRunner(other, asked);
    },
  };
}

describe('which builder builds which kernel', () => {
  it("a distribution kernel: its own release's builder, whatever the host", () => {
    expect(chooseBuilder({ release: '6.1.0-57-amd64' }, DEBIAN_TRIXIE).distro).toBe(DEBIAN_BOOKWORM);
    expect(chooseBuilder({ release: '6.12.116+deb13-amd64' }, DEBIAN_BOOKWORM).distro).toBe(DEBIAN_TRIXIE);
    // The release decides, not a compiler recorded otherwise.
    expect(
      chooseBuilder({ release: '6.12.116+deb13-amd64', compiler: '(Debian 12.2.0-14+deb12u1) 12.2.0' }, DEBIAN_BOOKWORM)
        .distro,
    ).toBe(DEBIAN_TRIXIE);
  });

  it("another kernel (the test kernel, --sourcedir): the release whose compiler built it, else the host's", () => {
    expect(chooseBuilder({ release: '6.1.192', compiler: '(Debian 12.2.0-14+deb12u1) 12.2.0' }, DEBIAN_TRIXIE)).toEqual(
      {
        distro: DEBIAN_BOOKWORM,
        reason:
          '6.1.192 was built with "(Debian 12.2.0-14+deb12u1) 12.2.0", the compiler of Debian 12 (bookworm), linux-image-6.1.0-N-amd64',
      },
    );
    expect(chooseBuilder({ release: '6.12.116', compiler: '(Debian 14.2.0-19) 14.2.0' }, DEBIAN_BOOKWORM).distro).toBe(
      DEBIAN_TRIXIE,
    );
    const other = chooseBuilder({ release: '6.6.0-custom', compiler: '(GCC) 13.2.1' }, DEBIAN_BOOKWORM);
    expect(other.distro).toBe(DEBIAN_BOOKWORM);
    expect(other.reason).toBe(
      '6.6.0-custom is of no known distribution release and was built with "(GCC) 13.2.1": this host\'s (Debian 12 (bookworm), linux-image-6.1.0-N-amd64)',
    );
  });

  it("asks an engine's runner for the kernel's release (its .comment when the release is of none); the host runner stays itself", async () => {
    const asked: DistroRelease[] = [];
    const engine = fakeEngineRunner(DEBIAN_BOOKWORM, asked);
    const trixieKernel = await kernel('6.12.116+deb13-amd64', '(Debian 14.2.0-19) 14.2.0', TRIXIE_CONFIG);
    expect((await runnerForTarget(engine, trixieKernel, DEBIAN_BOOKWORM)).description).toBe(
      'podman (tsbuild-patch-builder:trixie)',
    );
    const built = await kernel('6.12.116', '(Debian 14.2.0-19) 14.2.0', TRIXIE_CONFIG);
    expect((await runnerForTarget(engine, built, DEBIAN_BOOKWORM)).description).toBe(
      'podman (tsbuild-patch-builder:trixie)',
    );
    const bookwormKernel = await kernel('6.1.0-57-amd64', '(Debian 12.2.0-14+deb12u1) 12.2.0', 'CONFIG_LIVEPATCH=y\n');
    expect((await runnerForTarget(engine, bookwormKernel, DEBIAN_TRIXIE)).description).toBe(
      'podman (tsbuild-patch-builder:bookworm)',
    );
    expect(asked).toEqual([DEBIAN_TRIXIE, DEBIAN_TRIXIE, DEBIAN_BOOKWORM]);
    expect(await runnerForTarget(hostRunner, trixieKernel)).toBe(hostRunner);
  });

  it("gives each release its image recipe: one Dockerfile, SUITE and that suite's package list, all in the tag", async () => {
    const bookworm = builderRecipe(DEBIAN_BOOKWORM);
    const trixie = builderRecipe(DEBIAN_TRIXIE);
    expect(bookworm).toEqual({
      context: dockerContextDir(),
      files: ['Dockerfile', 'build-packages.txt', 'build-packages.bookworm.txt'],
      optionalCopies: false,
      buildArgs: { SUITE: 'bookworm', PACKAGES: 'bookworm' },
      base: { suite: 'bookworm', keyring: '/usr/share/keyrings/debian-archive-keyring.gpg' },
    });
    expect(trixie.buildArgs).toEqual({ SUITE: 'trixie', PACKAGES: 'trixie' });
    expect(trixie.files).toContain('build-packages.trixie.txt');
    const [bookwormTag, trixieTag] = [await recipeTag(bookworm), await recipeTag(trixie)];
    expect(bookwormTag).toMatch(/^tsbuild-patch-builder:[0-9a-f]{12}$/);
    expect(trixieTag).not.toBe(bookwormTag);
    expect(await recipeTag(builderRecipe(DEBIAN_BOOKWORM))).toBe(bookwormTag);

    // The suite is hashed even where the files are the same bytes; a copied file is required.
    const { path: context, cleanup } = await tmpDir({ unsafeCleanup: true });
    try {
      await copyFile(join(dockerContextDir(), 'Dockerfile'), join(context, 'Dockerfile'));
      await copyFile(join(dockerContextDir(), 'build-packages.txt'), join(context, 'build-packages.txt'));
      await writeFile(join(context, 'build-packages.bookworm.txt'), 'gcc-12\n');
      await writeFile(join(context, 'build-packages.trixie.txt'), 'gcc-12\n');
      const a = await recipeTag(builderRecipe(DEBIAN_BOOKWORM, context));
      expect(await recipeTag(builderRecipe(DEBIAN_TRIXIE, context))).not.toBe(a);
      await writeFile(join(context, 'build-packages.bookworm.txt'), 'gcc-12\nless\n');
      expect(await recipeTag(builderRecipe(DEBIAN_BOOKWORM, context))).not.toBe(a);
      const { path: empty, cleanup: done } = await tmpDir({ unsafeCleanup: true });
      await copyFile(join(dockerContextDir(), 'Dockerfile'), join(empty, 'Dockerfile'));
      await expect(recipeTag(builderRecipe(DEBIAN_BOOKWORM, empty))).rejects.toThrow(
        /cannot read .*build-packages\.txt/,
      );
      // A Dockerfile of the caller's own: its content alone, as before.
      expect(contextRecipe(empty).buildArgs).toEqual({});
      await done();
    } finally {
      await cleanup();
    }
  });
});

describe("the compiler where the build runs must be the kernel's", () => {
  it("reads the tools' identity, with or without CC", async () => {
    expect(
      parseToolchainIdentity(
        'cc=gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0\nccVersion=12.2.0\ngcc=gcc (Debian 12.2.0-14+deb12u1) 12.2.0\nas=GNU assembler (GNU Binutils for Debian) 2.40\nld=GNU ld (GNU Binutils for Debian) 2.40\n',
      ),
    ).toEqual(BOOKWORM_TOOLS);
    expect(
      parseToolchainIdentity(
        'cc=\nccVersion=\ngcc=gcc (Debian 12.2.0-14+deb12u1) 12.2.0\nas=GNU assembler (GNU Binutils for Debian) 2.40\nld=GNU ld (GNU Binutils for Debian) 2.40\n',
      ),
    ).toEqual({ gcc: BOOKWORM_TOOLS.gcc, as: BOOKWORM_TOOLS.as, ld: BOOKWORM_TOOLS.ld });
    expect(parseToolchainIdentity('gcc=x\n')).toBeUndefined();
    const host = await hostToolchainIdentity('tsbuild-patch-no-such-cc');
    expect(host.cc).toBeUndefined();
    expect(host.gcc).toMatch(/^gcc .*\d+\.\d+/);
    expect((await hostToolchainIdentity('gcc')).cc).toBe(host.gcc);
  });

  it("builds a Debian 13 kernel in an image with its compiler; refuses one with Debian 12's, naming both", async () => {
    const target = await kernel('6.12.116+deb13-amd64', '(Debian 14.2.0-19) 14.2.0', TRIXIE_CONFIG);
    expect(await checkToolchain(target, fakeEngineRunner(DEBIAN_TRIXIE), DEBIAN_TRIXIE.compiler)).toEqual({
      compiler: '(Debian 14.2.0-19) 14.2.0',
      warnings: [],
    });
    const error = await failure(checkToolchain(target, fakeEngineRunner(DEBIAN_BOOKWORM), 'gcc'));
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(
      'toolchain mismatch: the running kernel was built with "(Debian 14.2.0-19) 14.2.0", gcc here (podman (tsbuild-patch-builder:bookworm)) is "(Debian 12.2.0-14+deb12u1) 12.2.0"; ' +
        'the running kernel\'s CONFIG_CC_VERSION_TEXT is "x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0", `gcc --version` here is "gcc (Debian 12.2.0-14+deb12u1) 12.2.0"; ' +
        "the running kernel's CONFIG_GCC_VERSION is 140200, gcc here is version 12.2.0 (120200); " +
        'the running kernel was linked with ld 24400 (CONFIG_LD_VERSION), ld here is "GNU ld (GNU Binutils for Debian) 2.40" (24000)',
    );
  });

  it("refuses --container none (the host) without the kernel's compiler, naming the kernel's and the host's, even with --skip-compiler-check", async () => {
    const target = await kernel('6.12.116+deb13-amd64', '(Debian 14.2.0-19) 14.2.0', TRIXIE_CONFIG);
    const host: Runner = {
      ...hostRunner,
      toolchain: async () => ({ gcc: BOOKWORM_TOOLS.gcc, as: BOOKWORM_TOOLS.as, ld: BOOKWORM_TOOLS.ld }),
    };
    for (const skip of [false, true]) {
      const error = await failure(checkToolchain(target, host, DEBIAN_TRIXIE.compiler, skip));
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).message).toBe(
        'toolchain mismatch: the running kernel was built with "(Debian 14.2.0-19) 14.2.0" (CONFIG_CC_VERSION_TEXT "x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0"), ' +
          'and x86_64-linux-gnu-gcc-14 is not installed here (host), whose gcc is "gcc (Debian 12.2.0-14+deb12u1) 12.2.0"',
      );
      expect((error as UserError).hint).toMatch(
        /^build in a container \(--container auto, podman or docker: the builder image of the kernel's distribution release has its compiler\)/,
      );
    }
    // The real host, asked for a compiler it does not have: the same refusal, with its own gcc.
    const real = await failure(checkToolchain(target, hostRunner, 'tsbuild-patch-no-such-cc'));
    expect((real as UserError).message).toMatch(
      /^toolchain mismatch: the running kernel was built with "\(Debian 14\.2\.0-19\) 14\.2\.0" \(CONFIG_CC_VERSION_TEXT "[^"]+"\), and tsbuild-patch-no-such-cc is not installed here \(host\), whose gcc is "gcc .*\d+\.\d+.*"$/,
    );
  });
});
