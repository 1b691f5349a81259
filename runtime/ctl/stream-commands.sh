# shellcheck shell=sh
# tsbuild-patch-ctl: the commands rollback and remove-stream. Sourced by the entry script.

# Roll STREAM back to the build the last upgrade replaced: load it (it replaces the newer build,
# as an upgrade does), then make every release's store load it at boot, the newer build kept in
# its place until the next upgrade of the stream.
cmd_rollback() {
  parse_wait_options "$@"
  shift "$OPT_SHIFT"
  [ $# -eq 1 ] || { usage >&2; exit 2; }
  rb_stream=$1
  check_stream_name "$rb_stream"
  release=$(running_release)
  read -r rb_active rb_active_version <<FACTS
$(stream_module "$STORE/$release" "$rb_stream")
FACTS
  read -r rb_kept rb_kept_version <<FACTS
$(stream_module "$KEPT/$release" "$rb_stream")
FACTS
  [ -n "$rb_active" ] || die "$rb_stream: no build of this stream is installed for $release"
  [ -n "$rb_kept" ] || die "$rb_stream: no earlier build is kept for $release (one is kept when an upgrade replaces it)"
  [ "$rb_kept_version" -lt "$rb_active_version" ] ||
    die "$rb_stream: already rolled back to version $rb_active_version for $release (version $rb_kept_version is kept; the next upgrade of the stream replaces both)"
  say "$rb_stream: rolling back from version $rb_active_version to version $rb_kept_version"
  rb_options="--timeout $OPT_TIMEOUT"
  [ "$OPT_SIGNAL" = 1 ] && rb_options="$rb_options --signal"
  # shellcheck disable=SC2086
  (cmd_load $rb_options "$rb_kept") || exit $?
  for rb_dir in "$STORE"/*/; do
    rb_release=$(basename "$rb_dir")
    read -r rb_new rb_new_version <<FACTS
$(stream_module "$STORE/$rb_release" "$rb_stream")
FACTS
    read -r rb_old rb_old_version <<FACTS
$(stream_module "$KEPT/$rb_release" "$rb_stream")
FACTS
    # shellcheck disable=SC2015 # the next release unless all three hold
    [ -n "$rb_new" ] && [ -n "$rb_old" ] && [ "$rb_old_version" -lt "$rb_new_version" ] || continue
    rb_new_name=$(basename "$rb_new" .ko)
    rb_old_name=$(basename "$rb_old" .ko)
    { mv -f "$rb_new" "$KEPT/$rb_release/.$rb_new_name.ko.new" &&
      mv -f "$rb_old" "$STORE/$rb_release/$rb_old_name.ko" &&
      mv -f "$KEPT/$rb_release/.$rb_new_name.ko.new" "$KEPT/$rb_release/$rb_new_name.ko"; } ||
      die "$rb_stream: cannot swap $rb_new and $rb_old"
    say "$rb_old_name: installed for $rb_release again, in place of $rb_new_name (kept until the next upgrade of stream $rb_stream)"
  done
}

# Unload STREAM's patch and take every build of it out of every release's store and kept builds.
cmd_remove_stream() {
  [ $# -eq 1 ] || { usage >&2; exit 2; }
  rm_stream=$1
  check_stream_name "$rm_stream"
  for rm_patch in $(loaded_patches); do
    read -r rm_their_stream _ <<FACTS
$(loaded_facts "$rm_patch")
FACTS
    [ "$rm_their_stream" = "$rm_stream" ] || continue
    (cmd_unload "$rm_patch") || exit $?
  done
  for rm_dir in "$STORE"/*/; do
    rm_release=$(basename "$rm_dir")
    read -r rm_ko _ <<FACTS
$(stream_module "$STORE/$rm_release" "$rm_stream")
FACTS
    if [ -n "$rm_ko" ]; then (cmd_uninstall --release "$rm_release" "$(basename "$rm_ko" .ko)") || exit $?; fi
  done
  for rm_dir in "$KEPT"/*/; do
    [ -d "$rm_dir" ] || continue
    drop_kept "$(basename "$rm_dir")" "$rm_stream"
  done
}
