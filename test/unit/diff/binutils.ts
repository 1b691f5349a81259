/** Small readers of binutils output for checking objects the differ writes. */
import { execFileSync } from 'node:child_process';

export function readelf(args: string[]): string {
  return execFileSync('readelf', args, { encoding: 'utf8' });
}

/** Function symbols as `nm` shows them (type t or T). */
export function nmFunctions(path: string): Array<{ name: string; type: string }> {
  return execFileSync('nm', [path], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^[0-9a-f]*\s+([tT])\s+(\S+)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ name: match[2]!, type: match[1]! }));
}
