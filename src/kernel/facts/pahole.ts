/**
 * Measure kernel structs with pahole (package dwarves), reading the file's DWARF only.
 */
import { execa } from 'execa';
import { UserError } from '../../util/errors.js';
import { parsePaholeSizes } from './pahole-layout.js';

export const PAHOLE = 'pahole';

/**
 * Sizes (bytes) of the structs `tags` that the DWARF of `elfPath` defines; tags it does not
 * define are left out of the map.
 */
export async function structSizesWithPahole(
  elfPath: string,
  tags: readonly string[],
  pahole = PAHOLE,
): Promise<Map<string, number>> {
  // -F dwarf: never fall back to BTF; --skip_missing: go on after a tag the DWARF lacks.
  const args = ['-F', 'dwarf', '--skip_missing', '-C', tags.join(','), elfPath];
  const result = await execa(pahole, args, { reject: false, stripFinalNewline: false });
  if (result.failed) {
    const code = (result as { code?: string }).code;
    if (code === 'ENOENT') {
      throw new UserError(
        `${elfPath}: cannot measure special-section entry structs: ${pahole} is not installed (Debian/Ubuntu package "dwarves")`,
      );
    }
    const detail = result.stderr.trim() || result.shortMessage;
    throw new UserError(`${elfPath}: ${pahole} ${args.join(' ')} failed: ${detail}`);
  }
  return parsePaholeSizes(result.stdout, `${pahole} on ${elfPath}`);
}
