import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildToolsPackage } from '../../../src/deploy/package/tools-package.js';
import { ensureSigningKey, exportPublicKey, signingKeys, stopAgent } from '../../../src/deploy/repository/gpg-key.js';
import { publishPackages } from '../../../src/deploy/repository/repository.js';
import { silentLogger } from '../../../src/util/log.js';

/**
 * The key apt is given (signed-by=) must be the key the indexes are signed with, whole. Two ways
 * it was not: the binary export lost its last byte when that byte was a newline (about one
 * ed25519 key in sixteen; apt then says NO_PUBKEY), and publishes sharing an empty gpg home each
 * generated a key (and stopped the agent under each other's signatures).
 */

let tmp: { path: string; cleanup: () => Promise<void> };
let deb: string;
const homes: string[] = [];
beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true });
  deb = await buildToolsPackage(join(tmp.path, 'debs'), 'T <t@example.org>');
});
afterAll(async () => {
  for (const home of homes) await stopAgent(home);
  await tmp.cleanup();
});

const gpg = (home: string, args: string[]) => execa('gpg', ['--homedir', home, '--batch', '--no-tty', ...args]);

/** gpgv as apt runs it: the served key file is the only keyring. */
async function verifies(keyFile: string, signed: string): Promise<{ ok: boolean; output: string }> {
  const result = await execa('gpgv', ['--status-fd', '1', '--keyring', keyFile, signed], { reject: false });
  return { ok: result.exitCode === 0, output: `${String(result.stdout)}\n${String(result.stderr)}` };
}

describe('repository signing key', () => {
  it('serves the binary key byte for byte, also a key whose export ends in a newline byte', async () => {
    const home = join(tmp.path, 'newline-home');
    homes.push(home);
    await mkdir(home, { mode: 0o700 });
    // Keys until one whose binary export ends in 0x0a (one in sixteen: the last byte of an
    // ed25519 signature value is below 0x10).
    let fingerprint: string | undefined;
    let exported = Buffer.alloc(0);
    for (let i = 0; i < 200 && !fingerprint; i++) {
      const made = await gpg(home, [
        '--status-fd',
        '1',
        '--pinentry-mode',
        'loopback',
        '--passphrase',
        '',
        '--quick-generate-key',
        `key ${i} <k${i}@localhost>`,
        'ed25519',
        'sign',
        'never',
      ]);
      const candidate = /KEY_CREATED P ([0-9A-F]{40})/.exec(String(made.stdout))![1]!;
      const path = join(tmp.path, `export-${i}.gpg`);
      await execa('gpg', ['--homedir', home, '--batch', '--export', candidate], { stdout: { file: path } });
      const bytes = await readFile(path);
      if (bytes.at(-1) === 0x0a) [fingerprint, exported] = [candidate, bytes];
    }
    expect(fingerprint, 'no key whose export ends in a newline in 200').toBeDefined();
    expect((await exportPublicKey(home, fingerprint!, false)).equals(exported)).toBe(true);

    // Published with that key: the served key file is that export, and apt's check passes.
    const layout = await publishPackages(join(tmp.path, 'newline-repo'), [deb], 'testing', {
      log: silentLogger,
      gnupgHome: home,
      fingerprint: fingerprint!,
    });
    expect((await readFile(layout.keyFile)).equals(exported)).toBe(true);
    for (const suite of ['testing', 'stable']) {
      const check = await verifies(layout.keyFile, join(layout.public, 'dists', suite, 'InRelease'));
      expect(check.ok, check.output).toBe(true);
      expect(check.output).toContain(`VALIDSIG ${fingerprint}`);
    }
  });

  it('one key in an empty home that three callers ask for at once', async () => {
    const home = join(tmp.path, 'race-home');
    homes.push(home);
    const got = await Promise.all([1, 2, 3].map((n) => ensureSigningKey(home, `caller ${n} <c${n}@localhost>`)));
    const keys = await signingKeys(home);
    expect(keys).toHaveLength(1);
    expect(got).toEqual([keys[0], keys[0], keys[0]]);
  });

  it('two repositories published at once with one new gpg home: one key, both verify with their served key', async () => {
    const home = join(tmp.path, 'shared-home');
    homes.push(home);
    const layouts = await Promise.all(
      ['a', 'b'].map((name) =>
        publishPackages(join(tmp.path, `shared-${name}`), [deb], 'testing', { log: silentLogger, gnupgHome: home }),
      ),
    );
    const keys = await signingKeys(home);
    expect(keys).toHaveLength(1);
    for (const layout of layouts) {
      for (const suite of ['testing', 'stable']) {
        const check = await verifies(layout.keyFile, join(layout.public, 'dists', suite, 'InRelease'));
        expect(check.ok, check.output).toBe(true);
        expect(check.output).toContain(`VALIDSIG ${keys[0]}`);
      }
    }
  });
});
