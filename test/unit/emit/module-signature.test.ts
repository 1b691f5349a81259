import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_MAGIC, splitModuleSignature, verifyModuleSignature } from '../../support/module-signature.js';

/**
 * The check of a module's appended signature that the kernel tests use (test/support/
 * module-signature.ts), on a signature made as scripts/sign-file makes it: CMS, detached, over
 * the module's bytes, without certificates or signed attributes, then struct module_signature
 * (id type PKCS#7, the signature's length big-endian) and the magic string.
 */
let tmp: { path: string; cleanup: () => Promise<void> };
let body: Buffer;
let signed: Buffer;
let cert: string;
let otherCert: string;

async function keyPair(name: string): Promise<{ key: string; cert: string }> {
  const key = join(tmp.path, `${name}.key`);
  const cert = join(tmp.path, `${name}.crt`);
  await execa(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert].concat([
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
    ]),
  );
  return { key, cert };
}

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true });
  body = Buffer.concat([Buffer.from('\x7fELF'), Buffer.alloc(4000, 0x5a)]);
  await writeFile(join(tmp.path, 'module.ko'), body);
  const mine = await keyPair('module signing key');
  cert = mine.cert;
  otherCert = (await keyPair('another key')).cert;
  const signature = join(tmp.path, 'signature.der');
  await execa('openssl', [
    'cms',
    '-sign',
    '-binary',
    '-noattr',
    '-nocerts',
    '-md',
    'sha256',
    '-outform',
    'DER',
    '-signer',
    mine.cert,
    '-inkey',
    mine.key,
    '-in',
    join(tmp.path, 'module.ko'),
    '-out',
    signature,
  ]);
  const der = await readFile(signature);
  const info = Buffer.from([0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  info.writeUInt32BE(der.length, 8);
  signed = Buffer.concat([body, der, info, Buffer.from(SIGNATURE_MAGIC)]);
});
afterAll(async () => tmp.cleanup());

describe('a module signature', () => {
  it('splits into the signed bytes and the signature; an unsigned module has none', () => {
    const parts = splitModuleSignature(signed)!;
    expect(parts.body.equals(body)).toBe(true);
    expect(parts.signature[0]).toBe(0x30); // a DER SEQUENCE
    expect(splitModuleSignature(body)).toBeUndefined();
  });

  it('verifies against the certificate of the key that made it, and not with another byte or certificate', async () => {
    const good = await verifyModuleSignature(signed, cert);
    expect(good.ok, good.output).toBe(true);
    const flipped = Buffer.from(signed);
    flipped[100]! ^= 1;
    expect((await verifyModuleSignature(flipped, cert)).ok).toBe(false);
    expect((await verifyModuleSignature(signed, otherCert)).ok).toBe(false);
    expect(await verifyModuleSignature(body, cert)).toEqual({ ok: false, output: 'the module carries no signature' });
  });
});
