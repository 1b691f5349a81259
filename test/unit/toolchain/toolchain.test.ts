import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builderImageTag, builderRecipe, dockerContextDir } from '../../../src/toolchain/container/builder-image.js';
import { DEBIAN_BOOKWORM } from '../../../src/kernel/distributions.js';
import {
  hostToolchain,
  parseToolchainLines,
  toolchainMismatch,
} from '../../../src/toolchain/container/image-toolchain.js';

describe('toolchain identity', () => {
  it('reads the gcc and as version lines', () => {
    expect(
      parseToolchainLines('gcc (Debian 12.2.0-14+deb12u1) 12.2.0\nGNU assembler (GNU Binutils for Debian) 2.40\n'),
    ).toEqual({ gcc: 'gcc (Debian 12.2.0-14+deb12u1) 12.2.0', as: 'GNU assembler (GNU Binutils for Debian) 2.40' });
    expect(parseToolchainLines('gcc (Debian 12.2.0-14) 12.2.0\n')).toBeUndefined();
  });

  it('names each differing tool and accepts identical ones', () => {
    const host = { gcc: 'gcc (Debian 12.2.0-14+deb12u1) 12.2.0', as: 'GNU assembler (GNU Binutils for Debian) 2.40' };
    expect(toolchainMismatch({ ...host }, host)).toBeUndefined();
    const other = toolchainMismatch({ gcc: 'gcc (Debian 12.2.0-14) 12.2.0', as: host.as }, host);
    expect(other).toContain('gcc: image "gcc (Debian 12.2.0-14) 12.2.0"');
    expect(other).not.toContain('as:');
  });

  it('reads the host tools', async () => {
    const host = await hostToolchain();
    expect(host.gcc).toMatch(/^gcc .*\d+\.\d+/);
    expect(host.as).toMatch(/^GNU assembler/);
  });
});

describe('builder image tag', () => {
  it('names the Dockerfile content', () => {
    const tag = builderImageTag('FROM debian:bookworm\n');
    expect(tag).toMatch(/^tsbuild-patch-builder:[0-9a-f]{12}$/);
    expect(builderImageTag('FROM debian:bookworm\n')).toBe(tag);
    expect(builderImageTag('FROM debian:bookworm\nRUN true\n')).not.toBe(tag);
  });

  it('finds the repository Dockerfile, based on debian:bookworm', async () => {
    const text = await readFile(join(dockerContextDir(), 'Dockerfile'), 'utf8');
    // One Dockerfile for every distribution release: FROM with Debian 12's builder arguments.
    const { buildArgs } = builderRecipe(DEBIAN_BOOKWORM);
    const from = /^FROM (.*)$/m.exec(text)?.[1]?.replace(/\$\{(\w+)\}/g, (_, name: string) => buildArgs[name] ?? '');
    expect(`FROM ${from}`).toMatch(/^FROM debian:bookworm$/m);
    expect(text).toMatch(/\bgcc\b/);
  });
});
