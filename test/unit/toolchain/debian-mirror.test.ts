import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import {
  configuredAptSources,
  debianMirrorFor,
  debianMirrorFrom,
  parseDeb822Sources,
  parseOneLineSources,
} from '../../../src/toolchain/container/debian-mirror.js';

const DEB822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
`;

describe('apt sources', () => {
  it('reads deb822 stanzas, skipping comments', () => {
    expect(parseDeb822Sources(DEB822)).toEqual([
      { uris: ['http://deb.debian.org/debian'], suites: ['bookworm', 'bookworm-updates'], components: ['main'] },
      { uris: ['http://deb.debian.org/debian-security'], suites: ['bookworm-security'], components: ['main'] },
    ]);
  });

  it('skips deb-src and disabled stanzas', () => {
    const text =
      'Types: deb-src\nURIs: http://a/debian\nSuites: bookworm\nComponents: main\n\nTypes: deb\nEnabled: no\nURIs: http://b/debian\nSuites: bookworm\nComponents: main\n';
    expect(parseDeb822Sources(text)).toEqual([]);
  });

  it('reads one-line sources with options and comments', () => {
    const text =
      '# deb http://old/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian/ bookworm main contrib\ndeb-src http://x/debian bookworm main\n';
    expect(parseOneLineSources(text)).toEqual([
      { uris: ['http://mirror.example/debian/'], suites: ['bookworm'], components: ['main', 'contrib'] },
    ]);
  });

  it('picks the mirror that holds the release main component, not security or updates', () => {
    const sources = [
      { uris: ['http://deb.debian.org/debian-security'], suites: ['bookworm-security'], components: ['main'] },
      { uris: ['http://x/debian'], suites: ['bookworm'], components: ['contrib'] },
      { uris: ['http://mirror.example/debian/'], suites: ['bookworm'], components: ['main'] },
    ];
    expect(debianMirrorFrom(sources, 'bookworm')).toBe('http://mirror.example/debian');
    expect(debianMirrorFrom(sources, 'trixie')).toBeUndefined();
  });

  it("seeds another release's suite from the mirror of a release this machine uses", () => {
    const sources = parseDeb822Sources(DEB822);
    expect(debianMirrorFor(sources, 'bookworm')).toBe('http://deb.debian.org/debian');
    expect(debianMirrorFor(sources, 'trixie')).toBe('http://deb.debian.org/debian');
    // Never a security mirror: it has no release's main suite.
    expect(
      debianMirrorFor(
        parseOneLineSources('deb http://deb.debian.org/debian-security bookworm-security main\n'),
        'trixie',
      ),
    ).toBeUndefined();
    expect(debianMirrorFor([], 'trixie')).toBeUndefined();
  });

  it('collects sources.list and sources.list.d, ignoring disabled file names', async () => {
    await withDir(
      async ({ path }) => {
        await mkdir(join(path, 'sources.list.d'));
        await writeFile(join(path, 'sources.list'), 'deb http://one/debian bookworm-backports main\n');
        await writeFile(join(path, 'sources.list.d', 'debian.sources'), DEB822);
        await writeFile(join(path, 'sources.list.d', 'other.list.disabled'), 'deb http://never/debian bookworm main\n');
        const sources = await configuredAptSources(path);
        expect(sources.map((s) => s.uris[0])).toEqual([
          'http://one/debian',
          'http://deb.debian.org/debian',
          'http://deb.debian.org/debian-security',
        ]);
        expect(debianMirrorFrom(sources, 'bookworm')).toBe('http://deb.debian.org/debian');
      },
      { unsafeCleanup: true },
    );
  });
});
