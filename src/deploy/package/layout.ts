import { fileURLToPath } from 'node:url';

/** Where the package puts things on the target machine. */
export const CTL_PATH = '/usr/sbin/tsbuild-patch-ctl';
/**
 * The parts CTL_PATH sources (runtime/ctl/*.sh): where it looks for them when TSBP_CTL_PARTS is
 * not set and no ctl/ is beside it (its shell copy of this path).
 */
export const CTL_PARTS_DIR = '/usr/lib/tsbuild-patch/ctl';
/** tsbuild-patch-ctl(8): runtime/CTL_MAN_PAGE, installed gzip -9n. */
export const CTL_MAN_PAGE = 'tsbuild-patch-ctl.8';
export const CTL_MAN_PATH = `/usr/share/man/man8/${CTL_MAN_PAGE}.gz`;
/** bash-completion loads it on demand when tsbuild-patch-ctl is completed. */
export const BASH_COMPLETION_PATH = '/usr/share/bash-completion/completions/tsbuild-patch-ctl';
export const UNIT_NAME = 'tsbuild-patch.service';
export const SYSTEMD_UNIT_DIR = '/lib/systemd/system';
export const UNIT_PATH = `${SYSTEMD_UNIT_DIR}/${UNIT_NAME}`;
/**
 * The crash guard's units (runtime/<name>), static: UNIT_NAME's Wants= starts them, so they are
 * enabled and disabled with it.
 */
export const CRASH_GUARD_UNITS = [
  'tsbuild-patch-clean-shutdown.service',
  'tsbuild-patch-mark-good.service',
  'tsbuild-patch-mark-good.timer',
] as const;
export const STORE = '/var/lib/tsbuild-patch';
/** The crash guard's state (tsbuild-patch-ctl's GUARD). */
export const CRASH_GUARD_STATE = `${STORE}/.crash-guard`;
/** A patch package's modules: PACKAGE_ROOT/<package>/<release>/<module>.ko. */
export const PACKAGE_ROOT = '/usr/lib/tsbuild-patch/packages';
/** The package every patch package depends on: the loader and the unit. */
export const TOOLS_PACKAGE = 'tsbuild-patch-tools';

/** runtime/ at the top of the tool's own package (the loader and the unit). */
export const RUNTIME_DIR = fileURLToPath(new URL('../../../runtime/', import.meta.url));

/** The control field where a patch package lists its modules' names (publish checks it). */
export const MODULES_FIELD = 'X-Livepatch-Modules';
/** The control fields of a stream's package: the stream's name and this build's version. */
export const STREAM_FIELD = 'X-Livepatch-Stream';
export const STREAM_VERSION_FIELD = 'X-Livepatch-Stream-Version';
/** The builds of streams that upgrades replaced, kept for tsbuild-patch-ctl rollback (its KEPT). */
export const KEPT_BUILDS = `${STORE}/.kept`;
