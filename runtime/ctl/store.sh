# shellcheck shell=sh
# tsbuild-patch-ctl: the store of installed modules: the commands install, uninstall and
# load-installed. Sourced by the entry script.

cmd_install() {
  parse_release_option "$@"
  shift "$OPT_SHIFT"
  [ $# -eq 1 ] || { usage >&2; exit 2; }
  ko=$1
  [ -f "$ko" ] || die "$ko: no such file"
  is_livepatch "$ko" || die "$ko: not a livepatch module (no livepatch=Y in its modinfo)"
  built=$(module_release "$ko")
  [ -n "$built" ] || die "$ko: no vermagic"
  [ "$built" = "$OPT_RELEASE" ] || die "$ko: vermagic names kernel $built, not $OPT_RELEASE; refused"
  name=$(module_name "$ko")
  check_store_no_undo "$ko" "$name" "$OPT_RELEASE"
  read -r in_stream _ <<FACTS
$(module_facts "$ko")
FACTS
  dir=$STORE/$OPT_RELEASE
  mkdir -p "$dir" || die "cannot create $dir"
  cp "$ko" "$dir/.$name.ko.new" || die "cannot write $dir/$name.ko"
  # A build of a stream takes the place of the stream's build in the store, which is kept.
  [ "$in_stream" = - ] || keep_previous "$OPT_RELEASE" "$name" "$in_stream"
  mv -f "$dir/.$name.ko.new" "$dir/$name.ko" || die "cannot write $dir/$name.ko"
  say "$name: installed for $OPT_RELEASE"
}

cmd_uninstall() {
  parse_release_option "$@"
  shift "$OPT_SHIFT"
  [ $# -eq 1 ] || { usage >&2; exit 2; }
  name=$(patch_name "$1")
  file=$STORE/$OPT_RELEASE/$name.ko
  [ -f "$file" ] || die "$name: not installed for $OPT_RELEASE"
  rm -f "$file" || die "cannot remove $file"
  rmdir "$STORE/$OPT_RELEASE" 2>/dev/null
  say "$name: uninstalled for $OPT_RELEASE"
  # A hold is by name: it goes with the last release's copy of the module.
  if [ -f "$GUARD/held/$name" ]; then
    for other in "$STORE"/*/"$name.ko"; do [ -f "$other" ] && return 0; done
    remove_durable "$GUARD/held/$name" && say "$name: installed for no release any more: no longer held by the crash guard"
  fi
}

# Each installed module of the running release, but those the crash guard holds: first those that
# use atomic replace (which would disable what was loaded before them), then those that stack.
# The exit status is that of the first module not loaded (5 for a held one).
cmd_load_installed() {
  [ $# -eq 0 ] || { usage >&2; exit 2; }
  release=$(running_release)
  GUARD_READY=0
  guard_new_boot && GUARD_READY=1
  status=0
  for li_pass in replacing stacking; do
    for ko in "$STORE/$release"/*.ko; do
      [ -f "$ko" ] || continue
      li_kind=replacing
      [ "$(modinfo -F "$REPLACE_KEY" "$ko" 2>/dev/null | head -n 1)" = N ] && li_kind=stacking
      [ "$li_kind" = "$li_pass" ] || continue
      li_name=$(module_name "$ko")
      if [ -f "$GUARD/held/$li_name" ]; then
        warn "$li_name: not loaded: held by the crash guard: $(held_reason "$li_name"); '$PROG clear-crash-guard $li_name' lets $UNIT_NAME load it again"
        [ "$status" != 0 ] || status=$EXIT_HELD
        continue
      fi
      ( cmd_load "$ko" )
      li_status=$?
      [ "$status" != 0 ] || status=$li_status
    done
  done
  return "$status"
}
