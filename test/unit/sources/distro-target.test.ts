import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildableReleases,
  findBuildableRelease,
  newestBuildableRelease,
} from '../../../src/sources/debian/catalog.js';
import { distroTarget } from '../../../src/sources/distro-target.js';
import { aptContext } from '../../../src/sources/debian/apt-context.js';
import { DEBIAN_BOOKWORM, distroOf } from '../../../src/kernel/distributions.js';
import { UserError } from '../../../src/util/errors.js';

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('distribution kernels', () => {
  it('knows a Debian 12 release by its name, and nothing else', () => {
    expect(distroOf('6.1.0-57-amd64')).toBe(DEBIAN_BOOKWORM);
    expect(distroOf('6.1.0-57-cloud-amd64')).toBeUndefined();
    expect(distroOf('5.15.0-91-generic')).toBeUndefined();
    expect(DEBIAN_BOOKWORM.packages('6.1.0-57-amd64')).toEqual({
      image: ['linux-image-6.1.0-57-amd64-unsigned'],
      headers: 'linux-headers-6.1.0-57-amd64',
      debug: 'linux-image-6.1.0-57-amd64-dbg',
      source: 'linux-source-6.1',
    });
  });

  it('refuses a release of no known distribution, saying what to give instead', async () => {
    const error = await failure(distroTarget('5.15.0-91-generic', () => {}));
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/5\.15\.0-91-generic is not a release of a known distribution/);
    expect((error as UserError).hint).toMatch(/--sourcedir, --config, --vmlinux, --symvers and --modules-dir/);
  });
});

/**
 * What the archive holds, as apt-cache answers: an archive of made-up versions (the real one
 * changes every few weeks; test/kernel/debian/archive-lists.test.ts checks the live lists).
 * - 6.1.0-9 and 6.1.0-40: all four packages in one version (buildable; 9 sorts before 40);
 * - 6.1.0-41: no linux-source-6.1 of its version; 6.1.0-42: its debug package of another version;
 * - a cloud flavour's debug package, and a source package's own line, neither of them counted.
 */
const PKGNAMES = [
  'linux-image-6.1.0-40-amd64-dbg',
  'linux-image-6.1.0-40-cloud-amd64-dbg',
  'linux-image-6.1.0-40-amd64-unsigned',
  'linux-image-6.1.0-41-amd64-dbg',
  'linux-image-6.1.0-42-amd64-dbg',
  'linux-image-6.1.0-9-amd64-dbg',
];
const MADISON = [
  ['linux-image-6.1.0-9-amd64-unsigned', '6.1.27-1'],
  ['linux-headers-6.1.0-9-amd64', '6.1.27-1'],
  ['linux-image-6.1.0-9-amd64-dbg', '6.1.27-1'],
  ['linux-image-6.1.0-40-amd64-unsigned', '6.1.150-1'],
  ['linux-headers-6.1.0-40-amd64', '6.1.150-1'],
  ['linux-image-6.1.0-40-amd64-dbg', '6.1.150-1'],
  ['linux-image-6.1.0-41-amd64-unsigned', '6.1.152-1'],
  ['linux-headers-6.1.0-41-amd64', '6.1.152-1'],
  ['linux-image-6.1.0-41-amd64-dbg', '6.1.152-1'],
  ['linux-image-6.1.0-42-amd64-unsigned', '6.1.153-1'],
  ['linux-headers-6.1.0-42-amd64', '6.1.153-1'],
  ['linux-image-6.1.0-42-amd64-dbg', '6.1.153-2'],
  ['linux-source-6.1', '6.1.153-1'],
  ['linux-source-6.1', '6.1.150-1'],
  ['linux-source-6.1', '6.1.27-1'],
].map(([name, version]) => ` ${name} | ${version} | http://deb.debian.org/debian bookworm/main amd64 Packages`);
MADISON.push('     linux | 6.1.152-1 | http://deb.debian.org/debian bookworm/main Sources');

// The lists through the ordinary clients, faked first on PATH: apt-cache answers from the table
// above (after the tool's own `-o` options), apt-get (fetching the lists) only logs. The tool's
// apt directories go to a cache of the test's own.
let bin: DirectoryResult;
let aptGetLog: string;
let savedPath: string | undefined;
let savedCache: string | undefined;
beforeAll(async () => {
  bin = await dir({ unsafeCleanup: true });
  savedCache = process.env['TSBUILD_PATCH_CACHE'];
  process.env['TSBUILD_PATCH_CACHE'] = join(bin.path, 'cache');
  aptGetLog = join(bin.path, 'apt-get.log');
  await mkdir(join(bin.path, 'data'));
  await writeFile(join(bin.path, 'data', 'pkgnames'), PKGNAMES.join('\n') + '\n');
  await writeFile(join(bin.path, 'data', 'madison'), MADISON.join('\n') + '\n');
  await writeFile(
    join(bin.path, 'apt-cache'),
    `#!/bin/sh
data=${join(bin.path, 'data')}
while [ "$1" = -o ]; do shift 2; done
echo "$1" >> ${join(bin.path, 'apt-cache.log')}
case "$1" in
  pkgnames) grep "^$2" "$data/pkgnames" || true ;;
  madison) shift; for p in "$@"; do grep "^ *$p |" "$data/madison" || true; done ;;
  *) echo "fake apt-cache: $*" >&2; exit 100 ;;
esac
`,
  );
  await writeFile(
    join(bin.path, 'apt-get'),
    `#!/bin/sh\nwhile [ "$1" = -o ]; do shift 2; done\necho "$*" >> ${aptGetLog}\n`,
  );
  await writeFile(aptGetLog, '');
  await chmod(join(bin.path, 'apt-cache'), 0o755);
  await chmod(join(bin.path, 'apt-get'), 0o755);
  savedPath = process.env['PATH'];
  process.env['PATH'] = `${bin.path}:${savedPath ?? ''}`;
});
afterAll(async () => {
  process.env['PATH'] = savedPath;
  if (savedCache === undefined) delete process.env['TSBUILD_PATCH_CACHE'];
  else process.env['TSBUILD_PATCH_CACHE'] = savedCache;
  await bin.cleanup();
});

describe('the releases the archive can build (apt-cache)', () => {
  it('are those with image, headers, debug and source of one version, oldest first', async () => {
    expect(await buildableReleases(DEBIAN_BOOKWORM)).toEqual([
      { release: '6.1.0-9-amd64', version: '6.1.27-1' },
      { release: '6.1.0-40-amd64', version: '6.1.150-1' },
    ]);
    expect(await newestBuildableRelease(DEBIAN_BOOKWORM)).toBe('6.1.0-40-amd64');
    expect(await findBuildableRelease(DEBIAN_BOOKWORM, '6.1.0-9-amd64')).toEqual({
      release: '6.1.0-9-amd64',
      version: '6.1.27-1',
    });
  });

  it('refuses a release the archive cannot build, listing those it can (fetching the lists again once first)', async () => {
    const log: string[] = [];
    for (const release of ['6.1.0-41-amd64', '6.1.0-42-amd64', '6.1.0-48-amd64']) {
      const error = await failure(findBuildableRelease(DEBIAN_BOOKWORM, release, (line) => log.push(line)));
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).message).toBe(
        `kernel ${release}: the archive lacks what a build needs (linux-image-${release}-unsigned, linux-headers-${release}, linux-image-${release}-dbg, linux-source-6.1 of one version)`,
      );
      expect((error as UserError).hint).toMatch(
        /^releases of Debian 12 \(bookworm\), linux-image-6\.1\.0-N-amd64 that can be built \(package lists of \d{4}-\d\d-\d\dT[\d:.]+Z\): 6\.1\.0-9-amd64 \(6\.1\.27-1\), 6\.1\.0-40-amd64 \(6\.1\.150-1\)$/,
      );
    }
    // The lists were fetched once by the first test (none in the cache), and once more, once per
    // process, for the first missing release; as any user, into the tool's own directories.
    expect(await readFile(aptGetLog, 'utf8')).toBe('-q update\n-q update\n');
    expect(log.filter((line) => line.includes('lack it'))).toEqual([
      'the package lists of Debian 12 (bookworm), linux-image-6.1.0-N-amd64 lack it: fetching them again',
    ]);
  });
});

describe("apt-cache's answers", () => {
  it('are remembered beside the lists, and asked again once the lists change', async () => {
    const calls = join(bin.path, 'apt-cache.log');
    const expected = [
      { release: '6.1.0-9-amd64', version: '6.1.27-1' },
      { release: '6.1.0-40-amd64', version: '6.1.150-1' },
    ];
    await buildableReleases(DEBIAN_BOOKWORM);
    await writeFile(calls, '');
    expect(await buildableReleases(DEBIAN_BOOKWORM)).toEqual(expected);
    expect(await findBuildableRelease(DEBIAN_BOOKWORM, '6.1.0-40-amd64')).toEqual(expected[1]);
    expect(await readFile(calls, 'utf8')).toBe('');
    // New lists (an apt-get update that changed one): the answers about the old ones are gone.
    const lists = join(aptContext(DEBIAN_BOOKWORM).dir, 'lists');
    await mkdir(lists, { recursive: true });
    await writeFile(join(lists, 'deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages'), 'new\n');
    expect(await buildableReleases(DEBIAN_BOOKWORM)).toEqual(expected);
    expect(await readFile(calls, 'utf8')).toBe('pkgnames\nmadison\n');
  });
});
