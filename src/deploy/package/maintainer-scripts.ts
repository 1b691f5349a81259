import { CRASH_GUARD_STATE, CTL_PATH, KEPT_BUILDS, PACKAGE_ROOT, STORE, UNIT_NAME } from './layout.js';

/**
 * Maintainer scripts of a patch package. The modules ship in PACKAGE_ROOT/<package>/<release>/;
 * the scripts hand them to tsbuild-patch-ctl, which keeps the per-release store that
 * tsbuild-patch.service loads at boot. A manifest (STORE/.packages/<package>: release/name
 * lines) records what the installed version put in the store.
 *
 * - postinst configure: install every release's module into the store (vermagic checked; a
 *   stream's build takes the place of the stream's earlier build, which the loader keeps for
 *   rollback), take the previous version's other entries out of the store (so a reboot at any
 *   point loads one version), then load the running release's module (not inside a chroot):
 *   the loader replaces the stream's earlier build with it once it is applied, and the script
 *   unloads what else of the package's previous version is still applied.
 * - prerm upgrade: nothing; the old patch stays loaded and in the store until the new
 *   version's postinst replaces it.
 * - prerm remove: unload the running release's module (a failure stops the removal, so the
 *   package state stays true to what is loaded), then take every module out of the store; for a
 *   stream, whatever build of it is loaded and installed (a rollback's too) and the kept ones.
 *
 * The paths follow tsbuild-patch-ctl's settings (TSBP_STORE, TSBP_SYSFS, TSBP_RELEASE), as its
 * own do, and TSBP_CTL and TSBP_PACKAGE_ROOT move the loader and the package's files: for tests
 * (test/unit/deploy/maintainer-scripts.test.ts) and unusual systems.
 */
const PATHS = (pkg: string) => `PKGDIR=\${TSBP_PACKAGE_ROOT:-${PACKAGE_ROOT}}/${pkg}
CTL=\${TSBP_CTL:-${CTL_PATH}}
STORE=\${TSBP_STORE:-${STORE}}
SYSFS=\${TSBP_SYSFS:-/sys}
MANIFEST=$STORE/.packages/${pkg}
running=\${TSBP_RELEASE:-$(uname -r)}`;

export function patchPostinst(pkg: string): string {
  return `#!/bin/sh
set -e
${PATHS(pkg)}
case "$1" in
  configure)
    new=""
    for dir in "$PKGDIR"/*/; do
      [ -d "$dir" ] || continue
      release=$(basename "$dir")
      for ko in "$dir"*.ko; do
        [ -f "$ko" ] || continue
        $CTL install --release "$release" "$ko" || exit 1
        new="$new $release/$(basename "$ko" .ko)"
      done
    done
    old=""
    if [ -f "$MANIFEST" ]; then
      while read -r entry; do
        case " $new " in *" $entry "*) continue ;; esac
        old="$old $entry"
        if [ -f "$STORE/$entry.ko" ]; then $CTL uninstall --release "\${entry%%/*}" "\${entry#*/}" || true; fi
      done < "$MANIFEST"
    fi
    mkdir -p "$(dirname "$MANIFEST")"
    printf '%s\\n' $new > "$MANIFEST"
    if [ ! -d "$PKGDIR/$running" ]; then
      echo "${pkg}: no module for the running kernel $running; installed for: $(ls "$PKGDIR" | tr '\\n' ' ')"
    elif ischroot 2>/dev/null; then
      echo "${pkg}: in a chroot: not loading; ${UNIT_NAME} loads it at boot"
    elif [ ! -d "$SYSFS/kernel/livepatch" ]; then
      echo "${pkg}: the running kernel has no /sys/kernel/livepatch: not loading"
    else
      for ko in "$PKGDIR/$running"/*.ko; do
        if [ -f "$ko" ]; then $CTL load "$STORE/$running/$(basename "$ko")" || exit 1; fi
      done
      # What of the previous version is still applied: the new version is, so it goes.
      for entry in $old; do
        [ "\${entry%%/*}" = "$running" ] || continue
        if [ -d "$SYSFS/module/\${entry#*/}" ]; then $CTL unload "\${entry#*/}" || exit 1; fi
      done
    fi
    ;;
esac
exit 0
`;
}

/** STREAM: the stream the package is a build of, whose every build the removal takes away. */
export function patchPrerm(pkg: string, stream?: string): string {
  const removal = stream
    ? `    $CTL remove-stream ${stream}`
    : `    each_module unload
    each_module forget`;
  const helpers = stream
    ? ''
    : `each_module() {
  for dir in "$PKGDIR"/*/; do
    [ -d "$dir" ] || continue
    release=$(basename "$dir")
    for ko in "$dir"*.ko; do
      if [ -f "$ko" ]; then "$@" "$release" "$(basename "$ko" .ko)" || exit 1; fi
    done
  done
  return 0
}
forget() {
  if [ -f "$STORE/$1/$2.ko" ]; then $CTL uninstall --release "$1" "$2"; fi
}
unload() {
  if [ "$1" = "$running" ] && [ -d "$SYSFS/module/$2" ]; then $CTL unload "$2"; fi
}
`;
  return `#!/bin/sh
set -e
${PATHS(pkg)}
${helpers}case "$1" in
  remove|deconfigure)
${removal}
    rm -f "$MANIFEST"
    ;;
esac
exit 0
`;
}

/** The tools package: enable the unit the Debian way (respecting an admin's disable). */
export function toolsPostinst(): string {
  return `#!/bin/sh
set -e
if [ "$1" = configure ] || [ "$1" = abort-upgrade ] || [ "$1" = abort-deconfigure ] || [ "$1" = abort-remove ]; then
  mkdir -p ${STORE}
  if command -v deb-systemd-helper >/dev/null; then
    deb-systemd-helper unmask '${UNIT_NAME}' >/dev/null || true
    # was-enabled is true on a first installation.
    if deb-systemd-helper --quiet was-enabled '${UNIT_NAME}'; then
      deb-systemd-helper enable '${UNIT_NAME}' >/dev/null || true
    else
      deb-systemd-helper update-state '${UNIT_NAME}' >/dev/null || true
    fi
  fi
  if [ -d /run/systemd/system ]; then systemctl --system daemon-reload >/dev/null || true; fi
fi
exit 0
`;
}

export function toolsPostrm(): string {
  return `#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then systemctl --system daemon-reload >/dev/null || true; fi
if [ "$1" = remove ] && command -v deb-systemd-helper >/dev/null; then
  deb-systemd-helper mask '${UNIT_NAME}' >/dev/null || true
fi
if [ "$1" = purge ] && command -v deb-systemd-helper >/dev/null; then
  deb-systemd-helper purge '${UNIT_NAME}' >/dev/null || true
  deb-systemd-helper unmask '${UNIT_NAME}' >/dev/null || true
  rm -rf ${CRASH_GUARD_STATE} ${KEPT_BUILDS}
  rmdir --ignore-fail-on-non-empty ${STORE} 2>/dev/null || true
fi
exit 0
`;
}
