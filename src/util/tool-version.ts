import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'tsbuild-patch';

let version: string | undefined;

/**
 * tsbuild-patch's version, its one home being package.json's "version", read at run time (once):
 * the nearest package.json of this project at or above this file, so that src/ (tsx), dist/ and
 * copies compiled elsewhere in the checkout all find it.
 */
export function toolVersion(): string {
  if (version !== undefined) return version;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let directory = start; ; directory = dirname(directory)) {
    const manifest = join(directory, 'package.json');
    if (existsSync(manifest)) {
      const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown; version?: unknown };
      if (parsed.name === PACKAGE_NAME && typeof parsed.version === 'string') return (version = parsed.version);
    }
    if (dirname(directory) === directory)
      throw new Error(`no ${PACKAGE_NAME} package.json with a version at or above ${start}`);
  }
}
