# shellcheck shell=sh
# tsbuild-patch-ctl: the command list. Sourced by the entry script.

cmd_list() {
  [ $# -eq 0 ] || usage_error "list takes no arguments"
  echo "Loaded patches:"
  found=0
  for d in "$KLP"/*; do
    [ -d "$d" ] || continue
    found=1
    name=${d##*/}
    enabled=$(cat "$d/enabled" 2>/dev/null)
    transition=$(cat "$d/transition" 2>/dev/null)
    state=enabled
    [ "$enabled" = 1 ] || state=disabled
    if [ "$transition" = 1 ]; then state="$state, transition in progress"; fi
    echo "  $name [$state]"
    for o in "$d"/*; do
      [ -d "$o" ] || continue
      object=${o##*/}
      patched=$(cat "$o/patched" 2>/dev/null)
      note=""
      [ "$patched" = 1 ] || note=" (not patched: module not loaded)"
      funcs=""
      for f in "$o"/*; do
        [ -d "$f" ] || continue
        func=${f##*/}
        case "$func" in *,1 | *,0) func=${func%,*} ;; esac
        funcs="$funcs $func"
      done
      echo "    $object:$funcs$note"
    done
  done
  [ "$found" = 1 ] || echo "  (none)"
  # Livepatch modules (taint K) whose patch is gone: replaced or disabled, not yet removed.
  stale=""
  for m in "$SYSFS"/module/*; do
    [ -f "$m/taint" ] || continue
    case "$(cat "$m/taint" 2>/dev/null)" in *K*) ;; *) continue ;; esac
    [ -d "$KLP/${m##*/}" ] || stale="$stale ${m##*/}"
  done
  if [ -n "$stale" ]; then
    echo "Loaded livepatch modules without an active patch (replaced or disabled; '$PROG unload NAME' removes them):"
    echo " $stale"
  fi
  echo "Installed patches:"
  running=$(running_release)
  found=0
  for r in "$STORE"/*; do
    [ -d "$r" ] || continue
    release=${r##*/}
    modules=""
    for m in "$r"/*.ko; do [ -f "$m" ] && modules="$modules $(basename "$m" .ko)"; done
    [ -n "$modules" ] || continue
    found=1
    tag=""
    [ "$release" = "$running" ] && tag=" (running)"
    echo "  $release$tag:$modules"
  done
  [ "$found" = 1 ] || echo "  (none)"
  list_streams
  list_crash_guard
}

# The builds of streams in the store, per release: the one loaded at boot, and the one kept for
# rollback (older: rollback loads it; newer: the stream was rolled back from it).
list_streams() {
  ls_header=0
  ls_running=$(running_release)
  for ls_dir in "$STORE"/*/; do
    ls_release=$(basename "$ls_dir")
    for ls_ko in "$ls_dir"*.ko; do
      [ -f "$ls_ko" ] || continue
      read -r ls_stream ls_version _ <<FACTS
$(module_facts "$ls_ko")
FACTS
      [ "$ls_stream" = - ] && continue
      if [ "$ls_header" = 0 ]; then
        echo "Streams (the build loaded at boot; '$PROG rollback STREAM' loads the one kept):"
        ls_header=1
      fi
      read -r _ ls_kept <<FACTS
$(stream_module "$KEPT/$ls_release" "$ls_stream")
FACTS
      ls_tag=""
      [ "$ls_release" = "$ls_running" ] && ls_tag=" (running)"
      ls_note=""
      if [ -n "$ls_kept" ] && [ "$ls_kept" -lt "$ls_version" ]; then
        ls_note=", version $ls_kept kept for rollback"
      elif [ -n "$ls_kept" ]; then
        ls_note=", rolled back from version $ls_kept"
      fi
      echo "  $ls_release$ls_tag: $ls_stream version $ls_version$ls_note"
    done
  done
}

# What the crash guard holds, and what it still watches at this boot.
list_crash_guard() {
  lg_held=""
  for lg in "$GUARD/held"/*; do [ -f "$lg" ] && lg_held="$lg_held ${lg##*/}"; done
  if [ -n "$lg_held" ]; then
    echo "Held by the crash guard (not loaded at boot; '$PROG clear-crash-guard NAME' releases one):"
    for lg in $lg_held; do echo "  $lg: $(held_reason "$lg")"; done
  fi
  [ "$(cat "$GUARD/boot" 2>/dev/null)" = "$(boot_id)" ] || return 0
  lg_after=$(good_after)
  lg_now=$(uptime_seconds)
  lg_header=0
  for lg in "$GUARD/pending"/*; do
    [ -f "$lg" ] || continue
    read -r lg_state _ lg_at < "$lg"
    if [ "$lg_header" = 0 ]; then
      echo "Watched by the crash guard (loaded at this boot, good after running $lg_after s):"
      lg_header=1
    fi
    case "$lg_state" in
      loaded) echo "  ${lg##*/}: has run for $((lg_now - lg_at)) s" ;;
      *) echo "  ${lg##*/}: being loaded" ;;
    esac
  done
}
