/**
 * The C files each module of a kernel was compiled from: the names of the DWARF compile units of
 * its debug module files (the -dbg package's usr/lib/debug/lib/modules/<release>/kernel/...),
 * as kbuild gave them to the compiler. The name keeps the directory whose Makefile built the
 * object: amdgpu's display core is `drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.c`.
 * Written once per kernel (module-units.json), read by every build for that kernel.
 */
import { readJsonCache, writeFileAtomic } from '../../util/atomic-file.js';
import type { Logger } from '../../util/log.js';
import { moduleNameOf } from '../module-name.js';
import { parseCompileUnitNames } from './compile-units.js';

export const MODULE_UNITS_VERSION = 1;

/** What module-units.json holds. */
export interface ModuleUnitsFile {
  version: number;
  /** Module name (the kernel's, underscores) → its compile units, as kbuild named their sources. */
  modules: Record<string, string[]>;
  /** Modules whose debug file named no compile unit: what they were built from is unknown. */
  withoutUnits: string[];
}

/**
 * The line that starts each module's part of the listing `unitListingScript` prints, followed
 * by the module's file name.
 */
const MODULE_MARK = '### ';

/**
 * A shell function, `list_units FILE NAME`, that prints a MODULE_MARK line with NAME (the
 * module's path as the listing should show it), then the lines of readelf's DWARF dump of the
 * module file FILE that name its compile units (top-level DIEs only: seconds for amdgpu's
 * 600 MB, milliseconds for most modules).
 */
export const LIST_UNITS_FUNCTION =
  `list_units() { printf '${MODULE_MARK}%s\\n' "$2"; ` +
  `readelf --debug-dump=info --dwarf-depth=1 "$1" 2>/dev/null | grep -E 'DW_TAG_compile_unit|DW_AT_name' || true; }`;

/** The compile units of every module of a listing made with LIST_UNITS_FUNCTION. */
export function parseUnitListing(text: string): ModuleUnitsFile {
  const modules: Record<string, string[]> = {};
  const withoutUnits: string[] = [];
  for (const part of text.split(new RegExp(`^${MODULE_MARK}`, 'm')).slice(1)) {
    const newline = part.indexOf('\n');
    const file = (newline < 0 ? part : part.slice(0, newline)).trim();
    if (!/\.ko$/.test(file)) continue;
    const name = moduleNameOf(file);
    const units = parseCompileUnitNames(newline < 0 ? '' : part.slice(newline + 1));
    if (units.length === 0) withoutUnits.push(name);
    else modules[name] = [...new Set([...(modules[name] ?? []), ...units])].sort();
  }
  return { version: MODULE_UNITS_VERSION, modules, withoutUnits: [...new Set(withoutUnits)].sort() };
}

export async function writeModuleUnits(path: string, units: ModuleUnitsFile): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(units));
}

/**
 * The module compile units kept at PATH, or undefined when there are none (a kernel whose debug
 * modules were never read), or the file is damaged (LOG says so) or of another version.
 */
export async function readModuleUnits(path: string, log?: Logger): Promise<ModuleUnitsFile | undefined> {
  const file = await readJsonCache<ModuleUnitsFile>(path, log);
  return file?.version === MODULE_UNITS_VERSION ? file : undefined;
}
