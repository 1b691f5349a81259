import { describe, expect, it } from 'vitest';
import { DOCKER, PODMAN } from '../../../src/toolchain/container/engine.js';
import { buildIdentityEnv } from '../../../src/toolchain/container/build-identity.js';
import { containerRunArgs, envArgs, sameMountPaths, userArgs } from '../../../src/toolchain/container/run-args.js';

/** Values of every occurrence of FLAG in ARGS. */
function flagValues(args: readonly string[], flag: string): string[] {
  return args.flatMap((arg, i) => (arg === flag && args[i + 1] !== undefined ? [args[i + 1]!] : []));
}

describe('sameMountPaths', () => {
  it('keeps one mount per subtree, resolved and deduplicated', () => {
    expect(
      sameMountPaths([
        '/tmp',
        '/root/.cache/tsbuild-patch',
        '/root/.cache/tsbuild-patch/builds/x/linux',
        '/tmp/',
        '/tmp/a/../b',
        '/tmpx',
      ]),
    ).toEqual(['/root/.cache/tsbuild-patch', '/tmp', '/tmpx']);
  });
  it('does not take a sibling with a common prefix as nested', () => {
    expect(sameMountPaths(['/srv/linux', '/srv/linux-6.1'])).toEqual(['/srv/linux', '/srv/linux-6.1']);
  });
  it('refuses to mount the host root', () => {
    expect(() => sameMountPaths(['/tmp', '/'])).toThrow(/host root/);
  });
});

describe('envArgs', () => {
  it('passes variables with values and leaves out undefined ones', () => {
    expect(envArgs({ ARCH: 'x86_64', KCFLAGS: undefined, LC_ALL: 'C', KCPPFLAGS: undefined, EMPTY: '' })).toEqual([
      '-e',
      'ARCH=x86_64',
      '-e',
      'LC_ALL=C',
      '-e',
      'EMPTY=',
    ]);
  });
  it('keeps values with spaces and equals signs as one argument', () => {
    expect(envArgs({ KCFLAGS: '-ffunction-sections -fdata-sections -DX=1' })).toEqual([
      '-e',
      'KCFLAGS=-ffunction-sections -fdata-sections -DX=1',
    ]);
  });
  it('rejects names that are not variable names', () => {
    expect(() => envArgs({ 'A=B': 'x' })).toThrow(/invalid environment variable name/);
  });
});

describe('userArgs', () => {
  it('runs docker as the host user', () => {
    expect(userArgs(DOCKER, { uid: 1000, gid: 100 })).toEqual(['--user', '1000:100']);
    expect(userArgs(DOCKER, { uid: 0, gid: 0 })).toEqual(['--user', '0:0']);
  });
  it('needs nothing for rootful podman and keeps the id for rootless podman', () => {
    expect(userArgs(PODMAN, { uid: 0, gid: 0 })).toEqual([]);
    expect(userArgs(PODMAN, { uid: 1000, gid: 1000 })).toEqual(['--userns', 'keep-id']);
  });
});

describe('containerRunArgs', () => {
  const base = {
    image: 'tsbuild-patch-builder:0123456789ab',
    name: 'tsbuild-patch-1-1-abc',
    mounts: ['/root/.cache/tsbuild-patch', '/tmp', '/root/.cache/tsbuild-patch/builds/k/linux'],
    cwd: '/tmp/module',
    env: { ARCH: 'x86_64', KCFLAGS: undefined },
    user: { uid: 1000, gid: 1000 },
    labels: { 'tsbuild-patch.owner-pid': '42' },
  };

  it('builds a podman run: removed, named, interactive, offline, runc limits, same-path mounts, workdir, env', () => {
    const args = containerRunArgs({ engine: PODMAN, ...base });
    expect(args[0]).toBe('run');
    expect(args).toContain('--rm');
    expect(args).toContain('--interactive');
    expect(flagValues(args, '--name')).toEqual(['tsbuild-patch-1-1-abc']);
    expect(flagValues(args, '--network')).toEqual(['none']);
    expect(flagValues(args, '--ulimit')).toEqual(['nofile=20000:20000', 'nproc=32768:32768']);
    expect(flagValues(args, '--volume')).toEqual([
      '/root/.cache/tsbuild-patch:/root/.cache/tsbuild-patch',
      '/tmp:/tmp',
    ]);
    expect(flagValues(args, '--workdir')).toEqual(['/tmp/module']);
    expect(flagValues(args, '-e')).toEqual(['ARCH=x86_64']);
    expect(flagValues(args, '--label')).toEqual(['tsbuild-patch.owner-pid=42']);
    expect(flagValues(args, '--userns')).toEqual(['keep-id']);
    expect(args).not.toContain('--user');
  });

  it('puts every flag before the image name, which comes last', () => {
    for (const engine of [PODMAN, DOCKER]) {
      const args = containerRunArgs({ engine, ...base });
      expect(args.at(-1)).toBe(base.image);
      expect(args.indexOf(base.image)).toBe(args.length - 1);
    }
  });

  it('builds a docker run with the host user and no podman-only flags', () => {
    const args = containerRunArgs({ engine: DOCKER, ...base });
    expect(flagValues(args, '--user')).toEqual(['1000:1000']);
    expect(args).not.toContain('--ulimit');
    expect(args).not.toContain('--userns');
  });

  it('leaves the working directory to the image when no cwd is given', () => {
    const { cwd: _cwd, ...withoutCwd } = base;
    expect(containerRunArgs({ engine: DOCKER, ...withoutCwd })).not.toContain('--workdir');
  });
});

describe('build identity', () => {
  it('carries the host name into the container', () => {
    const args = containerRunArgs({
      engine: PODMAN,
      image: 'i',
      name: 'n',
      mounts: [],
      env: {},
      user: { uid: 0, gid: 0 },
      hostname: 'buildhost',
    });
    expect(flagValues(args, '--hostname')).toEqual(['buildhost']);
  });

  it('passes the host kbuild identity variables and defaults the build user', () => {
    expect(
      buildIdentityEnv(
        { KBUILD_BUILD_TIMESTAMP: 'Thu Jan 1 00:00:00 UTC 2025', PATH: '/usr/bin', HOME: '/root' },
        'alice',
      ),
    ).toEqual({ KBUILD_BUILD_TIMESTAMP: 'Thu Jan 1 00:00:00 UTC 2025', KBUILD_BUILD_USER: 'alice' });
    expect(buildIdentityEnv({ KBUILD_BUILD_USER: 'ci', KBUILD_BUILD_HOST: 'h' }, 'alice')).toEqual({
      KBUILD_BUILD_USER: 'ci',
      KBUILD_BUILD_HOST: 'h',
    });
  });
});
