import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readElf, readModinfo, type ElfFile } from '../elf/index.js';
import { refusedError } from '../util/errors.js';
import type { Exports } from './symvers.js';

export function modinfoValue(ko: ElfFile, key: string): string | undefined {
  const section = ko.sectionByName('.modinfo');
  return section ? readModinfo(section).find((entry) => entry.key === key)?.value : undefined;
}

/** The vermagic of the running kernel, read from one of its modules. */
export async function runningVermagic(modulesDir: string): Promise<string | undefined> {
  if (!modulesDir) return undefined;
  const entries = await readdir(join(modulesDir, 'kernel'), { recursive: true }).catch(() => [] as string[]);
  const module = entries.find((name) => name.endsWith('.ko'));
  if (!module) return undefined;
  return modinfoValue(await readElf(join(modulesDir, 'kernel', module)), 'vermagic');
}

/**
 * Check the converted module before anyone loads it: every ordinary undefined symbol must be
 * exported by the running kernel (livepatch symbols are resolved by the livepatch core), and
 * its vermagic must be the running kernel's. Returns warnings; throws on errors.
 */
export function checkModule(ko: ElfFile, exports: Exports, vermagic: string | undefined): string[] {
  const warnings: string[] = [];
  const unresolved = ko.symbols
    .filter((s) => s.isUndefined && s.name !== '' && !exports.has(s.name))
    .map((s) => s.name);
  if (unresolved.length > 0) {
    throw refusedError('unexported-symbol', `undefined symbols the running kernel does not export: ${unresolved.join(', ')}`, { object: ko.path });
  }
  const own = modinfoValue(ko, 'vermagic');
  if (vermagic === undefined) warnings.push('vermagic not checked: no module of the running kernel to compare with (--modules-dir)');
  else if (own !== vermagic) {
    throw refusedError('vermagic', `vermagic "${own}" differs from the running kernel's "${vermagic}"`, { object: ko.path });
  }
  return warnings;
}
