import { basename } from 'node:path';
import { checkStreamName, checkStreamVersion, LIVEPATCH_PREFIX, type StreamIdentity } from '../kernel/stream-facts.js';
import { UserError } from '../util/errors.js';

/** Longest module name: MODULE_NAME_LEN (56) less the terminating NUL. */
export const MAX_MODULE_NAME = 55;

/** The generated C is livepatch-module.c: a module of that name would contain itself. */
export const RESERVED_MODULE_NAME = 'livepatch-module';

/** "livepatch-<first patch name>", sanitised to [a-z0-9-], at most 55 characters. */
export function defaultModuleName(patchPath: string): string {
  const stem = basename(patchPath).replace(/\.(patch|diff)$/i, '');
  const clean =
    stem
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'patch';
  const name = `livepatch-${clean}`.slice(0, MAX_MODULE_NAME).replace(/-+$/, '');
  return name === RESERVED_MODULE_NAME ? `${name}-patch` : name;
}

export function checkModuleName(name: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new UserError(`--name ${name}: use letters, digits, '-' and '_' only`);
  if (name.length > MAX_MODULE_NAME) throw new UserError(`--name ${name}: at most ${MAX_MODULE_NAME} characters`);
  if (name === RESERVED_MODULE_NAME)
    throw new UserError(`--name ${name}: reserved (the generated C file has this name); choose another`);
  return name;
}

/** The module of one build of a stream: livepatch-<stream>-<version> (the version tells the builds apart). */
export function streamModuleName(stream: StreamIdentity): string {
  const name = `${LIVEPATCH_PREFIX}${checkStreamName(stream.name)}-${checkStreamVersion(stream.version)}`;
  if (name.length > MAX_MODULE_NAME)
    throw new UserError(
      `stream name '${stream.name}' is too long: its module ${name} has ${name.length} characters, the kernel takes at most ${MAX_MODULE_NAME}`,
    );
  return name;
}
