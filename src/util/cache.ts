import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Root of everything tsbuild-patch caches (kernel trees, builds). Outside the repository and
 * outside any user source tree. Override with TSBUILD_PATCH_CACHE.
 */
export function cacheRoot(): string {
  const fromEnv = process.env['TSBUILD_PATCH_CACHE'];
  if (fromEnv) return fromEnv;
  const xdg = process.env['XDG_CACHE_HOME'];
  return join(xdg && xdg.length > 0 ? xdg : join(homedir(), '.cache'), 'tsbuild-patch');
}
