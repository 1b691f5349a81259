/**
 * A modprobe database in the guest for a distribution kernel's own modules: the kernel loads
 * some modules itself (request_module: a crypto algorithm such as rxrpc's pcbc(fcrypt), a
 * protocol family), which needs /sbin/modprobe and /lib/modules/<release>. The guest gets the
 * modules it was given that come from the kernel's modules directory, the generic crypto
 * implementations (small, and what request_module asks for most), their dependencies, and the
 * tables `depmod` makes of them; busybox is its modprobe. A kernel that ships `.ko.xz` gets
 * them decompressed, as `.ko`: busybox's modprobe need not read xz.
 */
import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { execa } from 'execa';
import { withDir } from 'tmp-promise';
import { KernelModules } from '../kernel/kernel-modules.js';
import { moduleContents, plainModulePath } from '../kernel/module-file.js';
import { moduleNameOf } from '../kernel/module-name.js';
import { UserError } from '../util/errors.js';

/** Modules offered to request_module in every guest: the generic crypto algorithms. */
const ALWAYS_OFFERED = ['kernel/crypto'];
/** What depmod reads besides the modules. */
const KERNEL_TABLES = ['modules.builtin', 'modules.builtin.modinfo', 'modules.order'];

/**
 * Files of the guest's /lib/modules/<release> (guest path → content) for MODULES (those under
 * MODULESDIR are kept; livepatches and other modules are not the kernel's own).
 */
export async function guestModuleTree(modulesDir: string, modules: readonly string[]): Promise<Record<string, Buffer>> {
  const release = basename(modulesDir);
  const own = modules.filter((module) => !relative(modulesDir, module).startsWith('..'));
  const index = await KernelModules.read(modulesDir);
  const offered = ALWAYS_OFFERED.flatMap((dir) => index.under(dir));
  const names = [...own, ...offered].map(moduleNameOf);
  const all = [...new Set(await index.withDependencies(names))];
  return withDir(
    async ({ path: root }) => {
      const tree = join(root, 'lib', 'modules', release);
      // A kernel with none of these modules (the test kernel) still gets the tables depmod makes.
      await mkdir(tree, { recursive: true });
      for await (const { file, bytes } of moduleContents(all)) {
        const to = join(tree, plainModulePath(relative(modulesDir, file)));
        await mkdir(dirname(to), { recursive: true });
        await writeFile(to, bytes);
      }
      for (const table of KERNEL_TABLES)
        await copyFile(join(modulesDir, table), join(tree, table)).catch(() => undefined);
      const depmod = await execa('depmod', ['-b', root, release], { reject: false });
      if (depmod.failed)
        throw new UserError(`depmod for the guest's modules of ${release} failed: ${depmod.stderr || depmod.message}`, {
          hint: 'apt-get install kmod',
        });
      const files: Record<string, Buffer> = {};
      for (const file of await readdir(tree, { recursive: true, withFileTypes: true })) {
        if (!file.isFile()) continue;
        const path = join(file.parentPath, file.name);
        files[relative(root, path)] = await readFile(path);
      }
      return files;
    },
    { unsafeCleanup: true, prefix: 'tsbp-modtree-' },
  );
}
