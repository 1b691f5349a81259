# shellcheck shell=sh
# tsbuild-patch-ctl: where things are (the TSBP_* settings), exit statuses, messages, the running
# release and what a module file or the kernel says of a module, durable writes. Sourced first.

SYSFS=${TSBP_SYSFS:-/sys}
PROC=${TSBP_PROC:-/proc}
STORE=${TSBP_STORE:-/var/lib/tsbuild-patch}
KLP=$SYSFS/kernel/livepatch
TIMEOUT=${TSBP_TIMEOUT:-60}
CONFIG=${TSBP_CONFIG:-/etc/default/tsbuild-patch}
RUN=${TSBP_RUN:-/run}

# Exit statuses: 0 done, 1 error, 2 usage, 3 transition did not finish in time, 4 the module
# was built against another build of the kernel (or of a loaded target module), 5 a module held
# by the crash guard was not loaded (load-installed), 6 an atomic-replace module refused: it
# would disable a patch of another stream, or one outside any stream.
EXIT_STALLED=3
EXIT_OTHER_BUILD=4
EXIT_HELD=5
EXIT_UNDO=6

# tsbuild-patch.service runs load-installed with TSBP_UNIT=1: its Wants= starts the crash
# guard's units, which every other load starts itself (guard_arm).
UNIT_NAME=tsbuild-patch.service

die() { echo "$PROG: $*" >&2; exit 1; }
# A command line this program cannot take: exit status 2, as the usage says.
usage_error() { echo "$PROG: $*" >&2; echo "Run '$PROG --help' for the usage." >&2; exit 2; }
warn() { echo "$PROG: $*" >&2; }
say() { echo "$PROG: $*"; }

running_release() {
  if [ -n "${TSBP_RELEASE:-}" ]; then echo "$TSBP_RELEASE"; else uname -r; fi
}

# A module's name as the kernel knows it (dashes become underscores). The shell copy of the rule
# whose home is src/kernel/module-name.ts (kernelModuleName, moduleNameOf); patch_name too.
module_name() {
  n=$(modinfo -F name "$1" 2>/dev/null)
  [ -n "$n" ] || n=$(basename "$1" .ko)
  echo "$n" | tr - _
}

# The kernel release a module was built for: the first word of its vermagic.
module_release() {
  modinfo -F vermagic "$1" 2>/dev/null | awk '{ print $1; exit }'
}

is_livepatch() {
  [ "$(modinfo -F livepatch "$1" 2>/dev/null)" = Y ]
}

# NAME given as a name or a .ko file.
patch_name() {
  case "$1" in
    *.ko) if [ -f "$1" ]; then module_name "$1"; else basename "$1" .ko | tr - _; fi ;;
    *) echo "$1" | tr - _ ;;
  esac
}

loaded_patches() {
  for d in "$KLP"/*; do [ -d "$d" ] && basename "$d"; done
}

# sync_paths PATH...: put files (and the directories naming them) on disk. coreutils' sync
# takes files (fsync each); a sync without arguments flushes everything.
sync_paths() { sync "$@" 2>/dev/null || sync; }

# write_durable FILE TEXT: FILE holds TEXT, on disk, or it is left as it was (status 1).
write_durable() {
  wd_dir=${1%/*}
  wd_new=$wd_dir/.${1##*/}.new
  mkdir -p "$wd_dir" 2>/dev/null && printf '%s\n' "$2" > "$wd_new" 2>/dev/null || return 1
  sync_paths "$wd_new"
  mv -f "$wd_new" "$1" || return 1
  sync_paths "$wd_dir"
}

remove_durable() {
  [ -e "$1" ] || return 0
  rm -f "$1" && sync_paths "${1%/*}"
}
