/**
 * The compile units of a Debian kernel's modules (kernel/facts/module-units.ts), read from its
 * debug package: from the .deb as it streams out of dpkg-deb (its module files, ~6 GB unpacked,
 * are never on disk together: each is written, read and removed in turn), or from the debug
 * files of an installed package.
 */
import { access, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { LIST_UNITS_FUNCTION, parseUnitListing, writeModuleUnits } from '../../kernel/facts/module-units.js';
import { UserError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';

/**
 * Write to OUTPUT the compile units of the modules under DEBUG_MODULES_DIR (a path inside the
 * package, e.g. usr/lib/debug/lib/modules/6.1.0-57-amd64) of the debug package DEB, using
 * SCRATCH for one module at a time. False, writing nothing, when the package has no module there.
 */
export async function moduleUnitsFromDeb(
  deb: string,
  debugModulesDir: string,
  output: string,
  scratch: string,
  log: Logger,
): Promise<boolean> {
  await mkdir(scratch, { recursive: true });
  const started = Date.now();
  log(`reading the compile units of the modules' debug information (${debugModulesDir})`);
  const perModule = `${LIST_UNITS_FUNCTION}; f="$UNITS_SCRATCH/module.ko"; cat > "$f"; list_units "$f" "$TAR_FILENAME"; rm -f "$f"`;
  const result = await execa(
    'sh',
    [
      '-c',
      'dpkg-deb --fsys-tarfile "$0" | tar -x --wildcards --to-command "$1" "./$2/*.ko"',
      deb,
      perModule,
      debugModulesDir,
    ],
    { reject: false, stdin: 'ignore', maxBuffer: 1 << 28, env: { UNITS_SCRATCH: scratch } },
  );
  await rm(scratch, { recursive: true, force: true });
  const units = parseUnitListing(result.stdout);
  const count = Object.keys(units.modules).length + units.withoutUnits.length;
  if (count === 0) {
    if (/not found in archive/i.test(result.stderr)) return false;
    throw new UserError(`reading the module debug files of ${deb} failed:\n${result.stderr.trim()}`);
  }
  if (result.failed) throw new UserError(`reading the module debug files of ${deb} failed:\n${result.stderr.trim()}`);
  await writeModuleUnits(output, units);
  log(`compile units of ${count} modules read in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return true;
}

/**
 * Write to OUTPUT the compile units of the module files under DIR (an installed debug package's
 * usr/lib/debug/lib/modules/<release>). False, writing nothing, when DIR does not exist.
 */
export async function moduleUnitsFromDir(dir: string, output: string, log: Logger): Promise<boolean> {
  const exists = await access(dir).then(
    () => true,
    () => false,
  );
  if (!exists) return false;
  log(`reading the compile units of the modules' debug information (${dir})`);
  const result = await execa(
    'sh',
    [
      '-c',
      `find "$0" -name '*.ko' -type f -exec sh -c "$1" sh {} +`,
      dir,
      `${LIST_UNITS_FUNCTION}; for f; do list_units "$f" "$f"; done`,
    ],
    { reject: false, stdin: 'ignore', maxBuffer: 1 << 28 },
  );
  if (result.failed)
    throw new UserError(`reading the module debug files under ${dir} failed:\n${result.stderr.trim()}`);
  await writeModuleUnits(output, parseUnitListing(result.stdout));
  return true;
}

/** Where a kernel's cache entry keeps its module compile units. */
export const moduleUnitsFile = (entry: string) => join(entry, 'module-units.json');
