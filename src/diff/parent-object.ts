/**
 * The object the patch applies to ("parent"): vmlinux or one module. Its symbol table tells
 * which symbols the running code already has, and whether a static key belongs to a module.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { isModuleFile, readModuleElfSync } from '../kernel/module-file.js';
import { moduleNameOf } from '../kernel/module-name.js';
import { UserError } from '../util/errors.js';
import { SHN_UNDEF, STT_FILE, STT_SECTION } from '../elf/constants.js';
import type { DiffObject } from './model.js';

export interface PatchTarget {
  /** `vmlinux`, or the module name as the kernel spells it (dashes become underscores). */
  readonly objectName: string;
  readonly isModule: boolean;
  /** Whether the target defines a symbol of this name. */
  defines(name: string): boolean;
}

/** A `.ko` (or `.ko.xz`) file is a module; anything else (vmlinux, or a plain .o standing in for it) is vmlinux. */
export function targetNameFor(path: string): { objectName: string; isModule: boolean } {
  const file = basename(path);
  if (isModuleFile(file)) return { objectName: moduleNameOf(file), isModule: true };
  return { objectName: 'vmlinux', isModule: false };
}

type NamedSymbol = { name: string; type: number; shndx: number; hasSection: boolean };

/** A lookup built on first use: most diffs never ask. */
function lazyDefines(symbols: () => Iterable<NamedSymbol>): (name: string) => boolean {
  let names: Set<string> | undefined;
  return (name) => (names ??= definedNames(symbols())).has(name);
}

function definedNames(symbols: Iterable<NamedSymbol>): Set<string> {
  const names = new Set<string>();
  for (const symbol of symbols) {
    if (!symbol.name || symbol.type === STT_SECTION || symbol.type === STT_FILE) continue;
    if (symbol.hasSection || symbol.shndx !== SHN_UNDEF) names.add(symbol.name);
  }
  return names;
}

/** The target described by the original object itself (the default when no parent is given). */
export function targetFromObject(object: DiffObject): PatchTarget {
  return {
    ...targetNameFor(object.path),
    defines: lazyDefines(() => object.symbols.map((s) => ({ ...s, hasSection: s.section !== undefined }))),
  };
}

/** The file is read only if a question needs its symbols (vmlinux can be large); a .ko.xz is decompressed then. */
export function loadTarget(path: string): PatchTarget {
  if (!existsSync(path)) throw new UserError(`--parent ${path}: no such file`);
  return {
    ...targetNameFor(path),
    defines: lazyDefines(() =>
      readModuleElfSync(path).symbols.map((s) => ({
        name: s.name,
        type: s.type,
        shndx: s.shndx,
        hasSection: s.section !== undefined,
      })),
    ),
  };
}
