/**
 * Symbol namespaces the patched code imports (`MODULE_IMPORT_NS`): the patch module must
 * import them too, or modpost refuses its references to namespaced exports.
 */
import type { DiffObject } from './model.js';

const MODINFO = '.modinfo';
const IMPORT_NS = 'import_ns=';

/**
 * The `import_ns=` records of the patched object's .modinfo, in module form (a built-in
 * object's `<modname>.` prefix removed).
 */
export function importedNamespaces(patched: DiffObject): string[] {
  const section = patched.sectionsByName.get(MODINFO);
  if (!section) return [];
  const records = Buffer.from(section.data.buffer, section.data.byteOffset, section.data.length)
    .toString('latin1')
    .split('\0');
  const namespaces: string[] = [];
  for (const record of records) {
    const at = record.indexOf(IMPORT_NS);
    if (at < 0) continue;
    const prefix = record.slice(0, at);
    if (prefix !== '' && !prefix.endsWith('.')) continue;
    namespaces.push(record.slice(at + IMPORT_NS.length));
  }
  return namespaces;
}

export function modinfoImports(namespaces: readonly string[]): { name: string; data: Buffer } | undefined {
  if (namespaces.length === 0) return undefined;
  return { name: MODINFO, data: Buffer.from(namespaces.map((ns) => `${IMPORT_NS}${ns}\0`).join(''), 'latin1') };
}
