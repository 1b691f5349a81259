import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { UserError } from '../util/errors.js';
import { builtAgainstModinfo } from './built-against.js';
import { loaderModinfo } from './loader-modinfo.js';
import type { KlpCallbacksSpec, KlpObjectSpec, PatchModuleSpec } from './spec.js';

/** kmod-template/ at the top of the package. */
export const TEMPLATE_DIR = fileURLToPath(new URL('../../kmod-template/', import.meta.url));

const CALLBACK_SIGNATURES: Record<keyof KlpCallbacksSpec, { field: string; type: string }> = {
  prePatch: { field: 'pre_patch', type: 'int' },
  postPatch: { field: 'post_patch', type: 'void' },
  preUnpatch: { field: 'pre_unpatch', type: 'void' },
  postUnpatch: { field: 'post_unpatch', type: 'void' },
};

/** A C identifier for an object's arrays: funcs_vmlinux, funcs_livepatch_callbacks_mod. */
export function objectIdentifier(object: KlpObjectSpec): string {
  return (object.name ?? 'vmlinux').replace(/[^A-Za-z0-9_]/g, '_');
}

function cString(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function callbackEntries(object: KlpObjectSpec): string[] {
  const entries: string[] = [];
  for (const [key, symbol] of Object.entries(object.callbacks) as [keyof KlpCallbacksSpec, string | undefined][]) {
    if (symbol) entries.push(`\t\t\t.${CALLBACK_SIGNATURES[key].field} = ${symbol},`);
  }
  return entries;
}

function renderObjects(objects: readonly KlpObjectSpec[]): {
  declarations: string[];
  callbacks: string[];
  arrays: string[];
  entries: string[];
} {
  const declarations = new Set<string>();
  const callbacks = new Set<string>();
  const arrays: string[] = [];
  const entries: string[] = [];
  for (const object of objects) {
    const id = objectIdentifier(object);
    const funcs = object.funcs.map((f) => {
      declarations.add(`void ${f.newSymbol}(void);`);
      return `\t{\n\t\t.old_name = "${cString(f.oldName)}",\n\t\t.new_func = ${f.newSymbol},\n\t\t.old_sympos = ${f.sympos},\n\t},`;
    });
    arrays.push(
      `/* ${object.name ?? 'vmlinux'} */\nstatic struct klp_func funcs_${id}[] = {\n${funcs.join('\n')}\n\t{ }\n};\n`,
    );
    for (const [key, symbol] of Object.entries(object.callbacks) as [keyof KlpCallbacksSpec, string | undefined][]) {
      if (symbol) callbacks.add(`${CALLBACK_SIGNATURES[key].type} ${symbol}(struct klp_object *obj);`);
    }
    const cb = callbackEntries(object);
    const lines = [
      '\t{',
      `\t\t.name = ${object.name === null ? 'NULL' : `"${cString(object.name)}"`},`,
      `\t\t.funcs = funcs_${id},`,
      ...(cb.length > 0 ? ['\t\t.callbacks = {', ...cb, '\t\t},'] : []),
      '\t},',
    ];
    entries.push(lines.join('\n'));
  }
  return { declarations: [...declarations], callbacks: [...callbacks], arrays, entries };
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/@([A-Z_]+)@/g, (whole, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`kmod template: no value for ${whole}`);
    return value;
  });
}

/** The C source and the Kbuild file of a livepatch module. */
/** A symbol namespace is a C identifier (MODULE_IMPORT_NS stringifies it). */
function checkNamespace(ns: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(ns))
    throw new UserError(`symbol namespace '${ns}' is not an identifier; cannot import it`);
  return ns;
}

export async function generateModuleSources(spec: PatchModuleSpec): Promise<{ source: string; kbuild: string }> {
  const [cTemplate, kbuildTemplate] = await Promise.all([
    readFile(new URL('livepatch-module.c.in', `file://${TEMPLATE_DIR}`), 'utf8'),
    readFile(new URL('Kbuild.in', `file://${TEMPLATE_DIR}`), 'utf8'),
  ]);
  const rendered = renderObjects(spec.objects);
  const source = fill(cTemplate, {
    MODULE_NAME: spec.name,
    TOOL_VERSION: spec.toolVersion,
    PATCHES: spec.patches.join(', '),
    KERNEL_RELEASE: spec.kernelRelease,
    NEW_FUNCTION_DECLARATIONS: rendered.declarations.join('\n'),
    CALLBACK_DECLARATIONS:
      rendered.callbacks.length > 0
        ? `\n/* Callbacks, defined in the diffed objects. */\n${rendered.callbacks.join('\n')}\n`
        : '',
    FUNC_ARRAYS: '\n' + rendered.arrays.join('\n'),
    OBJECTS: rendered.entries.join('\n'),
    REPLACE: spec.replace ? 'true' : 'false',
    TARGET_OBJECTS: spec.objects.map((o) => o.name ?? 'vmlinux').join(','),
    IMPORT_NAMESPACES: (spec.importNamespaces ?? []).map((ns) => `\nMODULE_IMPORT_NS(${checkNamespace(ns)});`).join(''),
    DESCRIPTION: cString(spec.description),
    BUILT_AGAINST: builtAgainstModinfo(spec.builtAgainst),
    LOADER_FACTS: loaderModinfo(spec.replace, spec.stream),
  });
  const kbuild = fill(kbuildTemplate, {
    MODULE_NAME: spec.name,
    DIFFED_OBJECTS: spec.diffedObjects.join(' '),
  });
  return { source, kbuild };
}
