import type { ElfFile } from '../elf/index.js';
import { modinfoValue } from '../kernel/modinfo.js';
import { refusedError } from '../util/errors.js';
import type { Exports } from '../kernel/symvers.js';

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
    throw refusedError(
      'unexported-symbol',
      `undefined symbols the running kernel does not export: ${unresolved.join(', ')}`,
      { object: ko.path },
    );
  }
  const own = modinfoValue(ko, 'vermagic');
  if (vermagic === undefined)
    warnings.push('vermagic not checked: no module of the running kernel to compare with (--modules-dir)');
  else if (own !== vermagic) {
    throw refusedError('vermagic', `vermagic "${own}" differs from the running kernel's "${vermagic}"`, {
      object: ko.path,
    });
  }
  return warnings;
}
