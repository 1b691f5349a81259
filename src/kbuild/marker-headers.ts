import { access, copyFile, mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TreeJournal } from './journal.js';

/** kmod-template/include: headers offered to patches (<linux/livepatch_helpers.h>, "kpatch-macros.h"). */
export const MARKER_INCLUDE_DIR = fileURLToPath(new URL('../../kmod-template/include/', import.meta.url));

/**
 * Make the marker headers visible to the patched build: each one the kernel lacks is copied
 * into the tree's include/ for the duration of the build (the journal removes it again, so the
 * cached tree is unchanged and the original objects never depended on it).
 */
export async function exposeMarkerHeaders(tree: string, journal: TreeJournal): Promise<void> {
  const files = (await readdir(MARKER_INCLUDE_DIR, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile() && entry.name.endsWith('.h'))
    .map((entry) =>
      join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name).slice(
        MARKER_INCLUDE_DIR.length,
      ),
    );
  for (const relative of files) {
    const destination = join(tree, 'include', relative);
    const present = await access(destination).then(
      () => true,
      () => false,
    );
    if (present) continue;
    await journal.protect([destination]);
    await mkdir(dirname(destination), { recursive: true });
    await copyFile(join(MARKER_INCLUDE_DIR, relative), destination);
  }
}
