/**
 * Entry sizes of the special sections, taken from the running (target) kernel: the size of
 * each entry struct named in the arch table (src/arch/x86_64/special-sections.ts) as the
 * vmlinux's DWARF gives it, measured with pahole and cached by the vmlinux's build-id.
 */
import { performance } from 'node:perf_hooks';
import { structSizedSections, type StructSizedSection } from '../../arch/x86_64/special-sections.js';
import { readElf, type ElfFile } from '../../elf/index.js';
import { UserError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import {
  defaultCacheDir,
  describeIdentity,
  imageIdentity,
  readCachedSizes,
  writeCachedSizes,
  type ImageIdentity,
} from './entry-size-cache.js';
import { hasDwarf, holdsEntries } from './kernel-image.js';
import { PAHOLE, structSizesWithPahole } from './pahole.js';

export interface KernelEntrySizes {
  vmlinux: string;
  /** For reports: "vmlinux DWARF (<path>)". */
  origin: string;
  /** Section name -> bytes per entry, for each special section whose struct the DWARF defines. */
  sizes: Map<string, number>;
  /** Special sections whose struct the DWARF lacks: this kernel has no such section. */
  absent: Array<{ section: string; tag: string }>;
  /** What the result is keyed by (build-id, or file identity without one). */
  identity: string;
  /** Whether the sizes came from the cache rather than a pahole run. */
  cached: boolean;
}

export interface EntrySizeOptions {
  /** Where measured sizes are cached (default: <cacheRoot>/kernel-facts/struct-sizes). */
  cacheDir?: string;
  /** The pahole executable (default: pahole from PATH). */
  pahole?: string;
}

const DEBUG_INFO_HINT =
  'build the kernel with CONFIG_DEBUG_INFO=y (e.g. CONFIG_DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT=y) and without CONFIG_DEBUG_INFO_REDUCED or CONFIG_DEBUG_INFO_SPLIT';

export async function entrySizesFromKernel(
  vmlinux: string,
  log: Logger,
  options: EntrySizeOptions = {},
): Promise<KernelEntrySizes> {
  const elf = await readElf(vmlinux);
  if (!hasDwarf(elf)) {
    throw new UserError(
      `${vmlinux}: no DWARF debug info (no .debug_info section), so the entry sizes of its special sections cannot be read: ${DEBUG_INFO_HINT}`,
    );
  }
  const specs = structSizedSections();
  const tags = [...new Set(specs.map((spec) => spec.tag))];
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const identity = await imageIdentity(vmlinux, elf);

  const cachedSizes = await readCachedSizes(cacheDir, identity, tags, log);
  if (cachedSizes !== undefined) {
    log(`entry sizes of special sections: cached for ${describeIdentity(identity)}`);
    return result(vmlinux, specs, cachedSizes, identity, true);
  }

  const started = performance.now();
  const sizes = await structSizesWithPahole(vmlinux, tags, options.pahole ?? PAHOLE);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  checkAbsentStructs(vmlinux, elf, specs, sizes);
  if (!sameIdentity(identity, await imageIdentity(vmlinux, await readElf(vmlinux)))) {
    throw new UserError(`${vmlinux}: the file changed while its entry sizes were being measured; run again`);
  }
  const stored = await writeCachedSizes(cacheDir, identity, tags, sizes);
  log(`entry sizes of special sections: measured in ${vmlinux} with pahole in ${seconds} s, cached as ${stored}`);
  return result(vmlinux, specs, sizes, identity, false);
}

/**
 * A struct missing from the DWARF must mean the kernel has no such section. If the vmlinux
 * still holds entries of it, the debug info is incomplete (reduced or split) and no size from
 * it can be trusted.
 */
function checkAbsentStructs(
  vmlinux: string,
  elf: ElfFile,
  specs: readonly StructSizedSection[],
  sizes: ReadonlyMap<string, number>,
): void {
  if (sizes.size === 0) {
    throw new UserError(
      `${vmlinux}: its DWARF defines none of the special-section structs (${specs.map((spec) => spec.tag).join(', ')}): ${DEBUG_INFO_HINT}`,
    );
  }
  for (const spec of specs) {
    if (sizes.has(spec.tag) || spec.vmlinuxBounds === undefined) continue;
    if (holdsEntries(elf, spec.vmlinuxBounds)) {
      throw new UserError(
        `${vmlinux}: holds ${spec.section} entries (between ${spec.vmlinuxBounds.join(' and ')}) but its DWARF has no struct ${spec.tag}: ${DEBUG_INFO_HINT}`,
      );
    }
  }
}

function sameIdentity(a: ImageIdentity, b: ImageIdentity): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function result(
  vmlinux: string,
  specs: readonly StructSizedSection[],
  structSizes: ReadonlyMap<string, number>,
  identity: ImageIdentity,
  cached: boolean,
): KernelEntrySizes {
  const sizes = new Map<string, number>();
  const absent: KernelEntrySizes['absent'] = [];
  for (const { section, tag } of specs) {
    const size = structSizes.get(tag);
    if (size === undefined) absent.push({ section, tag });
    else sizes.set(section, size);
  }
  return { vmlinux, origin: `vmlinux DWARF (${vmlinux})`, sizes, absent, identity: describeIdentity(identity), cached };
}
