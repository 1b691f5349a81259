# shellcheck shell=sh
# tsbuild-patch-ctl: the crash guard: its state, each boot's records of the loads, the modules it
# holds, CRASH_GUARD_SECONDS, starting its units. Sourced by the entry script.

# The crash guard's state (a dot name: no kernel release, which install refuses, can be it).
GUARD=$STORE/.crash-guard
# Seconds a module loaded at boot must run before it counts as good (CRASH_GUARD_SECONDS in
# CONFIG); tsbuild-patch-mark-good.timer's OnActiveSec is this default (a test checks).
DEFAULT_GOOD_AFTER=120
MARK_GOOD_TIMER=tsbuild-patch-mark-good.timer
CLEAN_SHUTDOWN_UNIT=tsbuild-patch-clean-shutdown.service

# Every load is recorded in GUARD/pending/NAME ("loading RELEASE UPTIME", then "loaded RELEASE
# UPTIME"), on disk before insmod runs; the record goes when the module is marked good (it ran
# for GOOD_AFTER seconds: mark-good), unloaded, or its load failed. GUARD/boot names the boot the
# records belong to; GUARD/clean names a boot that was shut down cleanly (clean-shutdown). The
# first load of a boot looks at the boot before: if it did not end cleanly, each module it left
# pending is held (GUARD/held/NAME: why), and load-installed does not load it until an admin runs
# clear-crash-guard. A hold is by module name, whichever release's store the module is in.

# The setting of CONFIG (a shell-style KEY=VALUE file), or nothing.
config_value() {
  [ -r "$CONFIG" ] || return 0
  sed -n "s/^[[:space:]]*$1=[\"']\{0,1\}\([^\"'[:space:]#]*\).*/\1/p" "$CONFIG" | tail -n 1
}

good_after() {
  ga=$(config_value CRASH_GUARD_SECONDS)
  case "$ga" in
    '') echo "$DEFAULT_GOOD_AFTER" ;;
    *[!0-9]*) warn "$CONFIG: CRASH_GUARD_SECONDS=$ga is not whole seconds; using $DEFAULT_GOOD_AFTER" ; echo "$DEFAULT_GOOD_AFTER" ;;
    *) echo "$ga" ;;
  esac
}

boot_id() { cat "$PROC/sys/kernel/random/boot_id" 2>/dev/null; }

# Whole seconds since the kernel started.
uptime_seconds() { awk '{ printf "%d\n", $1 }' "$PROC/uptime" 2>/dev/null; }

# guard_new_boot: make GUARD/boot this boot's, holding what the boot before left pending when
# it did not end with a clean shutdown. 1 when the guard cannot work (no boot id, no state).
guard_new_boot() {
  gn_now=$(boot_id)
  if [ -z "$gn_now" ]; then
    warn "crash guard: no boot id in $PROC/sys/kernel/random/boot_id: loads are not recorded"
    return 1
  fi
  gn_last=$(cat "$GUARD/boot" 2>/dev/null)
  [ "$gn_last" = "$gn_now" ] && return 0
  if [ -n "$gn_last" ] && [ "$(cat "$GUARD/clean" 2>/dev/null)" != "$gn_last" ]; then
    for gn_record in "$GUARD/pending"/*; do
      [ -f "$gn_record" ] || continue
      gn_name=${gn_record##*/}
      read -r gn_state gn_release gn_at < "$gn_record"
      case "$gn_state" in
        loading) gn_what="while it was being loaded" ;;
        *) gn_what="it had been loaded (at $gn_at s of uptime) but not marked good (after running $(good_after) s)" ;;
      esac
      gn_why="the boot $gn_last (kernel $gn_release) ended without a clean shutdown; $gn_what"
      write_durable "$GUARD/held/$gn_name" "$gn_why" || warn "crash guard: cannot write $GUARD/held/$gn_name"
      warn "$gn_name: held by the crash guard: $gn_why"
    done
  fi
  rm -rf "$GUARD/pending" "$GUARD/clean"
  write_durable "$GUARD/boot" "$gn_now" || { warn "crash guard: cannot write $GUARD/boot: loads are not recorded"; return 1; }
}

# guard_record NAME STATE RELEASE: NAME's record of this boot (on disk before this returns).
guard_record() {
  write_durable "$GUARD/pending/$1" "$2 $3 $(uptime_seconds)" || warn "$1: crash guard: cannot write $GUARD/pending/$1: this load is not guarded"
}

guard_forget() { remove_durable "$GUARD/pending/$1"; }

held_reason() { cat "$GUARD/held/$1" 2>/dev/null; }

# After a load (but those of tsbuild-patch.service, whose Wants= does it): have systemd mark it
# good in time, and record this boot's clean shutdown.
guard_arm() {
  [ -d "$RUN/systemd/system" ] || { say "$1: run '$PROG mark-good' after $(good_after) s to tell the crash guard that it is good"; return 0; }
  systemctl --no-block start "$CLEAN_SHUTDOWN_UNIT" 2>/dev/null || warn "crash guard: cannot start $CLEAN_SHUTDOWN_UNIT"
  systemctl --no-block restart "$MARK_GOOD_TIMER" 2>/dev/null || warn "crash guard: cannot start $MARK_GOOD_TIMER"
}
