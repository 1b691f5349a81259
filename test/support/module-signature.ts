/**
 * A kernel module's appended signature, as the kernel reads it (scripts/sign-file writes it):
 * MODULE ‖ PKCS#7/CMS signature (DER, detached, no certificates) ‖ struct module_signature
 * (12 bytes: algo, hash, id_type, signer_len, key_id_len, 3 pad bytes, sig_len big-endian) ‖
 * "~Module signature appended~\n". Checked here with openssl against a certificate, as the
 * kernel checks it against its keyring.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { withDir } from 'tmp-promise';

export const SIGNATURE_MAGIC = '~Module signature appended~\n';
const INFO_BYTES = 12;
/** module_signature.id_type of a PKCS#7 signature (PKEY_ID_PKCS7). */
const PKEY_ID_PKCS7 = 2;

export interface ModuleSignature {
  /** The module's bytes that were signed. */
  body: Buffer;
  /** The CMS signature, DER. */
  signature: Buffer;
}

/** The signed part and the signature of a module; undefined when it carries none. */
export function splitModuleSignature(bytes: Buffer): ModuleSignature | undefined {
  const magic = Buffer.from(SIGNATURE_MAGIC);
  if (bytes.length < magic.length + INFO_BYTES || !bytes.subarray(bytes.length - magic.length).equals(magic))
    return undefined;
  const info = bytes.subarray(bytes.length - magic.length - INFO_BYTES, bytes.length - magic.length);
  if (info[2] !== PKEY_ID_PKCS7) throw new Error(`module signature of id type ${info[2]}, not PKCS#7`);
  const length = info.readUInt32BE(8);
  const end = bytes.length - magic.length - INFO_BYTES;
  if (length === 0 || length > end) throw new Error(`module signature length ${length} does not fit the file`);
  return { body: bytes.subarray(0, end - length), signature: bytes.subarray(end - length, end) };
}

/**
 * Whether the signature of the module BYTES verifies against the certificate CERT (a PEM file):
 * made by the key of that certificate, over exactly the module's signed bytes.
 */
export async function verifyModuleSignature(bytes: Buffer, cert: string): Promise<{ ok: boolean; output: string }> {
  const parts = splitModuleSignature(bytes);
  if (!parts) return { ok: false, output: 'the module carries no signature' };
  return withDir(
    async ({ path }) => {
      await writeFile(join(path, 'body'), parts.body);
      await writeFile(join(path, 'signature.der'), parts.signature);
      const result = await execa(
        'openssl',
        [
          'cms',
          '-verify',
          '-binary',
          '-inform',
          'DER',
          '-in',
          join(path, 'signature.der'),
          '-content',
          join(path, 'body'),
          '-certfile',
          cert,
          '-nointern',
          '-noverify',
          '-out',
          '/dev/null',
        ],
        { reject: false, all: true },
      );
      return { ok: result.exitCode === 0, output: String(result.all) };
    },
    { unsafeCleanup: true },
  );
}

/** verifyModuleSignature of a module file. */
export async function verifyModuleFile(ko: string, cert: string): Promise<{ ok: boolean; output: string }> {
  return verifyModuleSignature(await readFile(ko), cert);
}
