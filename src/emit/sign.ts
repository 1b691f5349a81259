import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../util/errors.js';

export interface SigningKey {
  key: string;
  cert: string;
  hash?: string;
}

/** Sign a module with the kernel's own scripts/sign-file (appends the signature). */
export async function signModule(tree: string, ko: string, signing: SigningKey): Promise<void> {
  const signFile = join(tree, 'scripts/sign-file');
  for (const [what, path] of [
    ['sign-file', signFile],
    ['signing key', signing.key],
    ['signing certificate', signing.cert],
  ] as const) {
    await access(path).catch(() => {
      throw new UserError(`cannot sign ${ko}: ${what} ${path} does not exist`);
    });
  }
  const result = await execa(signFile, [signing.hash ?? 'sha256', signing.key, signing.cert, ko], {
    reject: false,
    all: true,
  });
  if (result.failed) throw new UserError(`signing ${ko} failed: ${String(result.all).trim()}`);
}
