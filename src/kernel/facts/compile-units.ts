import { stat } from 'node:fs/promises';
import { execa } from 'execa';
import { readJsonCache, writeFileAtomic } from '../../util/atomic-file.js';
import { UserError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';

/**
 * The C files a kernel image was compiled from: the names of the DWARF compile units of its
 * vmlinux (readelf, top-level DIEs only), relative to the top of the source tree. This is what
 * the kernel was really built from, whatever the config or the Makefiles seem to say.
 */
export function parseCompileUnitNames(readelfOutput: string): string[] {
  const names = new Set<string>();
  let inUnit = false;
  for (const line of readelfOutput.split('\n')) {
    if (line.includes('DW_TAG_compile_unit')) {
      inUnit = true;
      continue;
    }
    if (!inUnit) continue;
    if (/^\s*<\d+><[0-9a-f]+>: Abbrev Number/.test(line)) {
      inUnit = false;
      continue;
    }
    const name = /DW_AT_name\s*:\s*(?:\([^)]*\):\s*)?(.*)$/.exec(line)?.[1]?.trim();
    if (name) {
      names.add(name.replace(/^\/build\/[^ ]*?\/linux-[^/]+\//, '').replace(/^\.\//, ''));
      inUnit = false;
    }
  }
  return [...names].sort();
}

/**
 * Compile unit names of VMLINUX, remembered in CACHEFILE per (size, mtime) of the vmlinux; a
 * damaged cache file is rebuilt (LOG says so).
 */
export async function vmlinuxCompileUnits(vmlinux: string, cacheFile: string, log?: Logger): Promise<Set<string>> {
  const info = await stat(vmlinux).catch(() => {
    throw new UserError(`${vmlinux} does not exist`);
  });
  const stamp = `${vmlinux}:${info.size}:${info.mtimeMs}`;
  const cached = await readJsonCache<{ stamp?: string; units?: string[] }>(cacheFile, log);
  if (cached?.stamp === stamp && Array.isArray(cached.units)) return new Set(cached.units);
  const result = await execa('readelf', ['--debug-dump=info', '--dwarf-depth=1', vmlinux], {
    reject: false,
    stdin: 'ignore',
    maxBuffer: 1 << 30,
    lines: false,
  });
  const units = parseCompileUnitNames(result.stdout);
  if (units.length === 0) {
    throw new UserError(`${vmlinux}: no DWARF compile units (a vmlinux with debug info is needed: the -dbg package's)`);
  }
  await writeFileAtomic(cacheFile, JSON.stringify({ stamp, units }));
  return new Set(units);
}
