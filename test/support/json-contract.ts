/**
 * The JSON Schemas of the tool's machine output (schemas/, draft 2020-12), compiled with ajv for
 * tests: one validator per output kind (schemas/KIND.schema.json).
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const SCHEMAS_DIR = resolve(import.meta.dirname, '../../schemas');

// ajv-formats is CommonJS: its function is the default export's default under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv2020,
) => void;

export interface SchemaSet {
  ajv: Ajv2020;
  validators: Map<string, ValidateFunction>;
}

/** Every schema of schemas/, compiled: kind → validator. */
export async function loadSchemas(): Promise<SchemaSet> {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
  addFormats(ajv);
  const files = await readdir(SCHEMAS_DIR);
  for (const file of files) ajv.addSchema(JSON.parse(await readFile(join(SCHEMAS_DIR, file), 'utf8')));
  const validators = new Map<string, ValidateFunction>();
  for (const file of files)
    validators.set(
      file.replace(/\.schema\.json$/, ''),
      ajv.getSchema(`https://tsbuild-patch.invalid/schemas/${file}`)!,
    );
  return { ajv, validators };
}
