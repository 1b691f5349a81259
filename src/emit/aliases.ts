import { ElfSymbol, STB_GLOBAL, STT_FUNC, STV_DEFAULT, type ElfFile } from '../elf/index.js';
import { UserError } from '../util/errors.js';

/**
 * The generated C refers to replacement functions and callbacks by name, but in the diffed
 * object they keep their original names and are often static. Give each a global alias with
 * a unique, readable C name (tsbp_new_<function>, tsbp_cb_<function>).
 */
export class AliasNamer {
  private readonly used = new Set<string>();

  name(prefix: string, functionName: string): string {
    const base = `${prefix}${functionName.replace(/[^A-Za-z0-9_]/g, '_')}`;
    let candidate = base;
    for (let n = 2; this.used.has(candidate); n++) candidate = `${base}_${n}`;
    this.used.add(candidate);
    return candidate;
  }
}

/** Add a global alias of the defined function NAME; returns the alias name. */
export function addFunctionAlias(object: ElfFile, functionName: string, aliasName: string): string {
  const target = object.symbols.find((s) => s.name === functionName && s.type === STT_FUNC && s.section !== undefined);
  if (!target) throw new UserError(`${object.path}: function ${functionName} is not defined in the patch object`);
  object.addSymbol(
    new ElfSymbol({
      name: aliasName,
      value: target.value,
      size: target.size,
      type: STT_FUNC,
      bind: STB_GLOBAL,
      other: STV_DEFAULT,
      section: target.section,
    }),
  );
  return aliasName;
}
