/**
 * The kernel a livepatch module was built against, by identity: the GNU build-id of the vmlinux
 * and of each target module's .ko, recorded in the module's .modinfo. Two builds of one release
 * (Debian's 6.12.115+deb13 and 6.12.115+deb13.1) share the vermagic; their build-ids differ.
 * tsbuild-patch-ctl compares them with the running kernel's (/sys/kernel/notes) and the loaded
 * modules' (/sys/module/NAME/notes/.note.gnu.build-id) before it loads the module.
 *
 * The .modinfo keys are the home of the names tsbuild-patch-ctl reads (its shell copy: runtime/ctl/identity.sh).
 */
import { fileBuildId } from '../kernel/facts/build-id.js';

/** `tsbuild_patch_vmlinux_build_id=<hex>`: the vmlinux's build-id. */
export const VMLINUX_BUILD_ID_KEY = 'tsbuild_patch_vmlinux_build_id';
/** `tsbuild_patch_target_build_id=<module>:<hex>`: one per target module (not vmlinux). */
export const TARGET_BUILD_ID_KEY = 'tsbuild_patch_target_build_id';

export interface BuiltAgainst {
  /** The vmlinux's build-id (lowercase hex); absent when it has none. */
  vmlinux?: string;
  /** Each target module with a build-id, by its livepatch object name (as in /sys/module). */
  modules: ReadonlyArray<{ name: string; buildId: string }>;
}

/**
 * The build-ids of VMLINUX and of the target modules (object name → path of its plain .ko),
 * and a warning for each file without one (a module then records no identity for it).
 */
export async function builtAgainstOf(
  vmlinux: string,
  targetModules: ReadonlyMap<string, string>,
): Promise<{ builtAgainst: BuiltAgainst; warnings: string[] }> {
  const warnings: string[] = [];
  const vmlinuxId = await fileBuildId(vmlinux);
  if (vmlinuxId === undefined)
    warnings.push(
      `${vmlinux} has no GNU build-id: the module does not record the kernel's identity, and tsbuild-patch-ctl checks only its vermagic`,
    );
  const modules: { name: string; buildId: string }[] = [];
  for (const [name, path] of [...targetModules].sort(([a], [b]) => a.localeCompare(b))) {
    const buildId = await fileBuildId(path);
    if (buildId === undefined) warnings.push(`${path} (target module ${name}) has no GNU build-id: it is not recorded`);
    else modules.push({ name, buildId });
  }
  return { builtAgainst: { ...(vmlinuxId ? { vmlinux: vmlinuxId } : {}), modules }, warnings };
}

/** The MODULE_INFO lines of the C skeleton that record BUILT (nothing when there is nothing). */
export function builtAgainstModinfo(built: BuiltAgainst | undefined): string {
  if (!built || (built.vmlinux === undefined && built.modules.length === 0)) return '';
  const lines = [
    '/* The kernel this module was built against, by build-id (tsbuild-patch-ctl compares it with the running one). */',
    ...(built.vmlinux !== undefined ? [`MODULE_INFO(${VMLINUX_BUILD_ID_KEY}, "${checkHex(built.vmlinux)}");`] : []),
    ...built.modules.map(
      (m) => `MODULE_INFO(${TARGET_BUILD_ID_KEY}, "${checkModuleName(m.name)}:${checkHex(m.buildId)}");`,
    ),
  ];
  return `\n${lines.join('\n')}`;
}

function checkHex(id: string): string {
  if (!/^[0-9a-f]+$/.test(id)) throw new Error(`build-id '${id}' is not lowercase hex`);
  return id;
}

function checkModuleName(name: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`target module name '${name}' cannot be recorded`);
  return name;
}
