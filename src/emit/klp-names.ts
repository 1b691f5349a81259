/** Names of the livepatch ELF format (Documentation/livepatch/module-elf-format.rst). */
export const KLP_SYM_PREFIX = '.klp.sym.';
export const KLP_RELA_PREFIX = '.klp.rela.';

export const klpSymbolName = (object: string, name: string, sympos: number) =>
  `${KLP_SYM_PREFIX}${object}.${name},${sympos}`;

/** Split ".klp.sym.OBJECT.NAME,POS" (OBJECT has no dots: module names use '_'). */
export function parseKlpSymbolName(symbol: string): { object: string; name: string; sympos: number } | undefined {
  if (!symbol.startsWith(KLP_SYM_PREFIX)) return undefined;
  const rest = symbol.slice(KLP_SYM_PREFIX.length);
  const dot = rest.indexOf('.');
  const comma = rest.lastIndexOf(',');
  if (dot <= 0 || comma <= dot + 1) return undefined;
  // Decimal digits only, as the kernel reads it (%lu): not "", " 1", "1e1" or "0x10".
  const position = rest.slice(comma + 1);
  if (!/^\d+$/.test(position)) return undefined;
  return { object: rest.slice(0, dot), name: rest.slice(dot + 1, comma), sympos: Number(position) };
}

export const klpRelaSectionName = (object: string, target: string) => `${KLP_RELA_PREFIX}${object}.${target}`;
