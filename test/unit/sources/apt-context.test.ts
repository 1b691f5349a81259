/** The tool's own apt configuration per distribution release: its sources, and directories apart from the host's. */
import { describe, expect, it } from 'vitest';
import { aptContext, archiveSources } from '../../../src/sources/debian/apt-context.js';
import { DEBIAN_BOOKWORM, DEBIAN_TRIXIE, DISTRIBUTIONS } from '../../../src/kernel/distributions.js';

describe('the apt context of a distribution release', () => {
  it("writes the table's suites as deb822 sources: the security suite at its own host, signed by Debian's keyring", () => {
    expect(archiveSources(DEBIAN_TRIXIE.archive)).toBe(
      'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie trixie-updates\nComponents: main\n' +
        'Architectures: amd64\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n' +
        'Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: trixie-security\nComponents: main\n' +
        'Architectures: amd64\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n',
    );
  });

  it("points every apt directory at the tool's cache, never the host's, one directory per entry", () => {
    const contexts = DISTRIBUTIONS.map(aptContext);
    expect(new Set(contexts.map((c) => c.dir)).size).toBe(DISTRIBUTIONS.length);
    const context = aptContext(DEBIAN_BOOKWORM);
    const options = new Map(
      context.options
        .filter((o) => o !== '-o')
        .map((o) => o.split('=') as [string, string])
        .map(([k, v]) => [k, v]),
    );
    for (const key of [
      'Dir::Etc::SourceList',
      'Dir::Etc::SourceParts',
      'Dir::State::Lists',
      'Dir::State::status',
      'Dir::Cache',
    ])
      expect(options.get(key), key).toMatch(new RegExp(`^${context.dir}/`));
    expect(context.dir).toMatch(/\/apt\/debian-bookworm-[0-9a-f]{12}$/);
  });
});
