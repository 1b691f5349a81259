/**
 * The functions a patch replaces and adds, as the report lists them: included function
 * symbols with code in the patch, not counting split-off children (they follow their parent).
 */
import { STT_FUNC } from '../elf/constants.js';
import type { DiffObject } from './model.js';

export function reportedFunctions(patched: DiffObject): { changed: string[]; added: string[] } {
  const changed: string[] = [];
  const added: string[] = [];
  for (const symbol of patched.symbols) {
    if (!symbol.include || !symbol.section || symbol.type !== STT_FUNC || symbol.parent) continue;
    if (symbol.status === 'new') added.push(symbol.name);
    else if (symbol.status === 'changed') changed.push(symbol.name);
  }
  return { changed, added };
}
