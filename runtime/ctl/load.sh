# shellcheck shell=sh
# tsbuild-patch-ctl: the commands load, unload, signal and timeouts. Sourced by the entry script.

cmd_load() {
  parse_wait_options "$@"
  shift "$OPT_SHIFT"
  [ $# -eq 1 ] || { usage >&2; exit 2; }
  ko=$1
  [ -f "$ko" ] || die "$ko: no such file"
  is_livepatch "$ko" || die "$ko: not a livepatch module (no livepatch=Y in its modinfo)"
  release=$(running_release)
  built=$(module_release "$ko")
  [ "$built" = "$release" ] || die "$ko: built for kernel $built, this kernel is $release"
  [ -d "$KLP" ] || die "$KLP does not exist: this kernel has no livepatch support"
  name=$(module_name "$ko")
  check_identity "$ko" "$name"
  read -r ld_stream ld_version _ <<FACTS
$(module_facts "$ko")
FACTS
  if [ -z "${GUARD_READY:-}" ]; then
    GUARD_READY=0
    guard_new_boot && GUARD_READY=1
  fi
  guard=$GUARD_READY
  if [ -f "$GUARD/held/$name" ]; then
    warn "$name: held by the crash guard ($(held_reason "$name")); loading it as asked, but $UNIT_NAME will not load it at boot until '$PROG clear-crash-guard $name'"
  fi
  if [ -d "$SYSFS/module/$name" ]; then
    if [ -d "$KLP/$name" ]; then
      [ "$(cat "$KLP/$name/enabled" 2>/dev/null)" = 1 ] || die "$name: being disabled right now; load it again when '$PROG list' no longer shows it"
      want=$(modinfo -F srcversion "$ko" 2>/dev/null)
      have=$(cat "$SYSFS/module/$name/srcversion" 2>/dev/null)
      if [ -n "$want" ] && [ -n "$have" ] && [ "$want" != "$have" ]; then
        die "$name: another module of that name is loaded (srcversion $have, file $want); a new version of a patch needs a new module name to replace the loaded one atomically"
      fi
      if [ -z "$want" ] || [ -z "$have" ]; then
        say "$name: a module of that name is already loaded (no srcversion to tell whether it is this file)"
      else
        say "$name: already loaded"
      fi
      record_loaded "$name" "$ld_stream" "$ld_version"
      settle "$name" 1 "$OPT_TIMEOUT" "$OPT_SIGNAL" "$OPT_FORCE" || exit $EXIT_STALLED
      # The stream's other build, if an earlier load could not unload it.
      replace_stream_builds "$name" "$ld_stream" "$ld_version" || exit $EXIT_STALLED
      return 0
    fi
    # Left behind by an atomic replace: the module is loaded, its patch is gone.
    rmmod "$name" || die "$name: a module of that name is loaded without an active patch and cannot be removed"
  fi
  check_no_undo "$ko" "$name"
  before=$(loaded_patches)
  if [ "$guard" = 1 ]; then guard_record "$name" loading "$release"; fi
  insmod "$ko" || { guard_forget "$name"; die "$ko: insmod failed (see dmesg)"; }
  settle "$name" 1 "$OPT_TIMEOUT" "$OPT_SIGNAL" "$OPT_FORCE"
  st=$?
  if [ "$st" = 2 ]; then
    guard_forget "$name"
    die "$name: the patch disappeared while it was being enabled (see dmesg)"
  elif [ "$st" != 0 ]; then
    # The revert is a transition too: tasks that already switched must switch back, and on a
    # busy machine that can take longer than the load's own timeout. It is waited for past the
    # kernel's own livepatch signal (and signalled at once with --signal where the kernel can),
    # so that a revert ends here, reverted or named as stalled, not left behind silently.
    revert_wait=$(revert_wait_seconds "$OPT_TIMEOUT")
    warn "$name: reverting the load (waiting up to $revert_wait s)"
    if [ -d "$KLP/$name" ] && [ "$(cat "$KLP/$name/enabled")" = 1 ]; then echo 0 > "$KLP/$name/enabled"; fi
    if [ "$OPT_SIGNAL" = 1 ]; then send_signal "$name" || :; fi
    if wait_patch "$name" 0 "$revert_wait" && wait_gone "$name" "$revert_wait"; then
      # Nothing of it runs any more. A revert still under way keeps the guard's record.
      guard_forget "$name"
      rmmod "$name" && warn "$name: reverted and removed"
    else
      warn "$name: the reverse transition is still running after $revert_wait s too; tasks blocking it:"
      blocking_tasks 0 >&2
      warn "$name: the kernel keeps trying; the patch stays disabled. See '$PROG list', then '$PROG unload $name'."
    fi
    exit $EXIT_STALLED
  fi
  say "$name: loaded, transition complete"
  record_loaded "$name" "$ld_stream" "$ld_version"
  if [ "$guard" = 1 ]; then
    guard_record "$name" loaded "$release"
    [ "${TSBP_UNIT:-0}" = 1 ] || guard_arm "$name"
  fi
  # Patches the new one replaced (atomic replace) are disabled now and freed a moment later.
  for old in $before; do
    [ "$old" = "$name" ] && continue
    if [ -d "$KLP/$old" ]; then
      [ "$(cat "$KLP/$old/enabled" 2>/dev/null)" = 0 ] || continue
      wait_gone "$old" "$OPT_TIMEOUT" || { warn "$old: replaced by $name but not freed yet; remove it later with: $PROG unload $old"; continue; }
    fi
    forget_loaded "$old"
    [ -d "$SYSFS/module/$old" ] || continue
    if rmmod "$old"; then say "$old: replaced by $name, module removed"; else warn "$old: replaced by $name, but rmmod failed"; fi
  done
  # A build of a stream that stacks: the stream's other build goes now that this one is applied.
  replace_stream_builds "$name" "$ld_stream" "$ld_version" || exit $EXIT_STALLED
}

cmd_unload() {
  parse_wait_options "$@"
  shift "$OPT_SHIFT"
  [ $# -eq 1 ] || { usage >&2; exit 2; }
  name=$(patch_name "$1")
  if [ -d "$KLP/$name" ]; then
    if [ "$(cat "$KLP/$name/enabled")" = 1 ]; then
      echo 0 > "$KLP/$name/enabled" || die "$name: cannot disable (see dmesg)"
    fi
    settle "$name" 0 "$OPT_TIMEOUT" "$OPT_SIGNAL" "$OPT_FORCE" || exit $EXIT_STALLED
    wait_gone "$name" "$OPT_TIMEOUT" || die "$name: disabled, but the kernel has not freed it after $OPT_TIMEOUT s"
    say "$name: disabled"
  elif [ ! -d "$SYSFS/module/$name" ]; then
    die "$name: not loaded"
  fi
  guard_forget "$name"
  forget_loaded "$name"
  if [ -d "$SYSFS/module/$name" ]; then
    rmmod "$name" || die "$name: rmmod failed"
    say "$name: module removed"
  fi
}

cmd_signal() {
  [ $# -eq 1 ] || { usage >&2; exit 2; }
  name=$(patch_name "$1")
  [ -d "$KLP/$name" ] || die "$name: not loaded"
  [ "$(cat "$KLP/$name/transition")" = 1 ] || { say "$name: no transition in progress"; return 0; }
  send_signal "$name"
  case $? in
    0) say "$name: livepatch signal sent to the blocking tasks" ;;
    1) say "$name: this kernel has no $KLP/$name/signal: it sends the blocking tasks the livepatch signal itself every $KERNEL_SIGNAL_AFTER s while the transition is stalled" ;;
    *) exit 1 ;;
  esac
}

cmd_timeouts() {
  [ $# -eq 0 ] || usage_error "timeouts takes no arguments"
  echo "transition $TIMEOUT"
  echo "kernel-signal-after $KERNEL_SIGNAL_AFTER"
  echo "revert $(revert_wait_seconds "$TIMEOUT")"
  echo "load-worst-case $(load_wait_bound "$TIMEOUT")"
  echo "crash-guard $(good_after)"
}
