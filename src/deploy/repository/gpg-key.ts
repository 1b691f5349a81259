import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../../util/errors.js';
import { withDirLock } from '../../util/lock.js';
import type { Logger } from '../../util/log.js';

/** gpg with its own home directory (never the user's keyring unless that is what is given). */
function gpg(home: string, args: string[], input?: string) {
  return execa('gpg', ['--homedir', home, '--batch', '--no-tty', ...args], {
    reject: false,
    ...(input !== undefined ? { input } : {}),
  });
}

/**
 * Run BODY while no other process (or call) uses the gpg home HOME through this module: the
 * check-and-generate of the key, and signing with the home's agent and stopping that agent (one
 * publish stopping the agent under another one's signature fails it). The lock is a directory
 * inside HOME (gpg ignores it).
 */
export async function withGnupgHome<T>(home: string, log: Logger, body: () => Promise<T>): Promise<T> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  return withDirLock(
    join(home, '.tsbuild-patch.lock'),
    (pid) => log(`waiting for process ${pid}, which uses the gpg home ${home}`),
    body,
  );
}

/** Fingerprints of the secret keys in HOME that can sign. */
export async function signingKeys(home: string): Promise<string[]> {
  const result = await gpg(home, ['--list-secret-keys', '--with-colons']);
  if (result.failed) return [];
  const fingerprints: string[] = [];
  let primary = false;
  for (const line of String(result.stdout).split('\n')) {
    const fields = line.split(':');
    if (fields[0] === 'sec') primary = (fields[11] ?? '').includes('s') || (fields[11] ?? '').includes('S');
    else if (fields[0] === 'ssb') primary = false;
    else if (fields[0] === 'fpr' && primary) {
      fingerprints.push(fields[9]!);
      primary = false;
    }
  }
  return fingerprints;
}

/**
 * A signing key for the repository: an existing one in HOME, or one generated there (ed25519,
 * no passphrase). Looking and generating is one step under the home's lock: two first publishes
 * at once no longer both find the home empty and each generate a key.
 */
export async function ensureSigningKey(home: string, uid: string, log: Logger = () => {}): Promise<string> {
  await mkdir(home, { recursive: true });
  await chmod(home, 0o700);
  return withGnupgHome(home, log, async () => {
    const existing = await signingKeys(home);
    if (existing.length > 0) return existing[0]!;
    const result = await gpg(home, [
      '--pinentry-mode',
      'loopback',
      '--passphrase',
      '',
      '--quick-generate-key',
      uid,
      'ed25519',
      'sign',
      'never',
    ]);
    if (result.failed) {
      if ((result as { code?: string }).code === 'ENOENT')
        throw new UserError('gpg is not installed', { hint: 'apt-get install gpg' });
      throw new UserError(`gpg could not generate the repository key: ${String(result.stderr).trim()}`);
    }
    const created = await signingKeys(home);
    if (created.length === 0) throw new UserError(`gpg generated no signing key in ${home}`);
    return created[0]!;
  });
}

/**
 * The public key, binary (for apt's signed-by) or armored, exactly as gpg wrote it. The binary
 * form is not text: its last byte is the last byte of a signature value and is 0x0a (a newline)
 * for about one ed25519 key in sixteen; execa strips a final newline unless told not to, and a
 * keyring one byte short is unreadable (gpgv: "Can't check signature: No public key", apt:
 * NO_PUBKEY).
 */
export async function exportPublicKey(home: string, fingerprint: string, armor: boolean): Promise<Buffer> {
  const result = await execa(
    'gpg',
    ['--homedir', home, '--batch', ...(armor ? ['--armor'] : []), '--export', fingerprint],
    { encoding: 'buffer', stripFinalNewline: false },
  );
  const key = Buffer.from(result.stdout);
  if (key.length === 0) throw new UserError(`gpg exported nothing for key ${fingerprint} from ${home}`);
  return key;
}

/** Stop the gpg-agent this home directory started (signing starts one). */
export async function stopAgent(home: string): Promise<void> {
  await execa('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { reject: false });
}
