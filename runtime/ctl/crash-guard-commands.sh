# shellcheck shell=sh
# tsbuild-patch-ctl: the crash guard's commands mark-good, clear-crash-guard and clean-shutdown.
# Sourced by the entry script.

cmd_mark_good() {
  mg_wait=0
  case "${1:-}" in --wait) mg_wait=1; shift ;; esac
  [ $# -eq 0 ] || usage_error "mark-good takes only --wait"
  mg_after=$(good_after)
  if [ "$(cat "$GUARD/boot" 2>/dev/null)" != "$(boot_id)" ]; then
    say "no module loaded at this boot is waiting to be marked good"
    return 0
  fi
  if [ "$mg_wait" = 1 ]; then
    mg_longest=0
    mg_now=$(uptime_seconds)
    for mg_record in "$GUARD/pending"/*; do
      [ -f "$mg_record" ] || continue
      read -r mg_state _ mg_at < "$mg_record"
      [ "$mg_state" = loaded ] || continue
      mg_left=$((mg_at + mg_after - mg_now))
      [ "$mg_left" -le "$mg_longest" ] || mg_longest=$mg_left
    done
    if [ "$mg_longest" -gt 0 ]; then
      say "waiting $mg_longest s until the modules loaded at this boot have run for $mg_after s"
      sleep "$mg_longest"
    fi
  fi
  mg_now=$(uptime_seconds)
  for mg_record in "$GUARD/pending"/*; do
    [ -f "$mg_record" ] || continue
    mg_name=${mg_record##*/}
    read -r mg_state _ mg_at < "$mg_record"
    if [ ! -d "$SYSFS/module/$mg_name" ]; then
      guard_forget "$mg_name"
      say "$mg_name: no longer loaded"
    elif [ "$mg_state" != loaded ]; then
      say "$mg_name: still being loaded"
    elif [ $((mg_now - mg_at)) -ge "$mg_after" ]; then
      guard_forget "$mg_name"
      say "$mg_name: has run for $((mg_now - mg_at)) s: marked good"
    else
      say "$mg_name: has run for $((mg_now - mg_at)) s of the $mg_after s that make it good"
    fi
  done
}

cmd_clear_crash_guard() {
  [ $# -le 1 ] || usage_error "clear-crash-guard takes one NAME at most"
  if [ $# -eq 1 ]; then
    cg_name=$(patch_name "$1")
    [ -f "$GUARD/held/$cg_name" ] || die "$cg_name: not held by the crash guard"
    remove_durable "$GUARD/held/$cg_name" || die "cannot remove $GUARD/held/$cg_name"
    say "$cg_name: released by the crash guard; $UNIT_NAME loads it at the next boot"
    return 0
  fi
  cg_any=0
  for cg_held in "$GUARD/held"/*; do
    [ -f "$cg_held" ] || continue
    cg_any=1
    remove_durable "$cg_held" || die "cannot remove $cg_held"
    say "${cg_held##*/}: released by the crash guard"
  done
  [ "$cg_any" = 1 ] || say "the crash guard holds no module"
}

# Run at shutdown (tsbuild-patch-clean-shutdown.service's ExecStop): this boot ends cleanly. Only
# a boot whose loads were recorded is marked: an older boot's pending records stay suspect.
cmd_clean_shutdown() {
  [ $# -eq 0 ] || usage_error "clean-shutdown takes no arguments"
  cs_now=$(boot_id)
  [ -n "$cs_now" ] || return 0
  [ "$(cat "$GUARD/boot" 2>/dev/null)" = "$cs_now" ] || return 0
  write_durable "$GUARD/clean" "$cs_now" || die "cannot write $GUARD/clean"
}
