/**
 * Measure kernel structs with pahole (package dwarves), from the file's BTF or its DWARF.
 */
import { execa } from 'execa';
import { UserError } from '../../util/errors.js';
import { parsePaholeSizes } from './pahole-layout.js';

export const PAHOLE = 'pahole';

/** Where pahole reads the types: the BTF a kernel built with DEBUG_INFO_BTF carries, or DWARF. */
export type TypeSource = 'btf' | 'dwarf';

async function runPahole(
  elfPath: string,
  tags: readonly string[],
  pahole: string,
  source: TypeSource,
): Promise<{ ok: true; stdout: string } | { ok: false; args: string[]; detail: string; missing: boolean }> {
  // -F: that source only, never a fallback of pahole's own; --skip_missing: go on after a tag it lacks.
  const args = ['-F', source, '--skip_missing', '-C', tags.join(','), elfPath];
  const result = await execa(pahole, args, { reject: false, stripFinalNewline: false });
  if (!result.failed) return { ok: true, stdout: result.stdout };
  const missing = (result as { code?: string }).code === 'ENOENT';
  return {
    ok: false,
    args,
    missing,
    detail: result.stderr.trim().split('\n').slice(-3).join('\n') || (result.shortMessage ?? ''),
  };
}

/**
 * Sizes (bytes) of the structs `tags` that `elfPath` defines; tags it does not define are left
 * out of the map. Read from its BTF when it has one (pahole made that BTF from the same DWARF
 * when the kernel was built: the same sizes, in well under a second where the DWARF of a
 * distribution vmlinux takes a minute), else from its DWARF.
 */
export async function structSizesWithPahole(
  elfPath: string,
  tags: readonly string[],
  pahole = PAHOLE,
  sources: readonly TypeSource[] = ['btf', 'dwarf'],
): Promise<Map<string, number>> {
  let last: { args: string[]; detail: string } | undefined;
  for (const source of sources) {
    const result = await runPahole(elfPath, tags, pahole, source);
    if (!result.ok && result.missing) {
      throw new UserError(
        `${elfPath}: cannot measure special-section entry structs: ${pahole} is not installed (Debian/Ubuntu package "dwarves")`,
      );
    }
    if (!result.ok) {
      last = result;
      continue;
    }
    const sizes = parsePaholeSizes(result.stdout, `${pahole} on ${elfPath}`);
    // An ELF without BTF gives nothing from it: try the next source.
    if (sizes.size > 0 || source === sources[sources.length - 1]) return sizes;
  }
  throw new UserError(`${elfPath}: ${pahole} ${last?.args.join(' ') ?? ''} failed: ${last?.detail ?? ''}`);
}
