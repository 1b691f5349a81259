/**
 * Read struct sizes out of pahole's layout listing (`pahole -C a,b vmlinux`). Each struct is
 * printed as a block from `struct <tag> {` to a closing brace in column 0; its size is in the
 * summary comment at the block's first indentation level: `/* size: N, cachelines: ... *\/`.
 * Nested struct or union members are printed deeper and never end the block.
 */
import { UserError } from '../../util/errors.js';

const BLOCK_START = /^(?:struct|union) ([A-Za-z_]\w*) \{$/;
const BLOCK_END = /^\}/;
const SIZE_COMMENT = /^\t\/\* size: (\d+)\b/;

/**
 * Sizes of the structs listed in `output`, by tag. `source` names the pahole run in errors.
 * Throws a UserError for a struct whose size is missing, zero or printed twice differently.
 */
export function parsePaholeSizes(output: string, source: string): Map<string, number> {
  const sizes = new Map<string, number>();
  let tag: string | undefined;
  let size: number | undefined;
  for (const line of output.split('\n')) {
    if (tag === undefined) {
      tag = BLOCK_START.exec(line)?.[1];
      size = undefined;
      continue;
    }
    const sizeMatch = SIZE_COMMENT.exec(line);
    if (sizeMatch) {
      size = Number(sizeMatch[1]);
      continue;
    }
    if (!BLOCK_END.test(line)) continue;
    record(sizes, tag, size, source);
    tag = undefined;
  }
  if (tag !== undefined) throw new UserError(`${source}: pahole output ends inside struct ${tag}`);
  return sizes;
}

function record(sizes: Map<string, number>, tag: string, size: number | undefined, source: string): void {
  if (size === undefined) {
    throw new UserError(`${source}: cannot read the size of struct ${tag} from pahole's output (no "/* size: N" line)`);
  }
  if (size === 0) throw new UserError(`${source}: pahole gives struct ${tag} a size of 0 (declared but not defined?)`);
  const earlier = sizes.get(tag);
  if (earlier !== undefined && earlier !== size) {
    throw new UserError(`${source}: pahole gives two sizes for struct ${tag} (${earlier} and ${size} bytes)`);
  }
  sizes.set(tag, size);
}
