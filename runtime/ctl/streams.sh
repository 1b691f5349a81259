# shellcheck shell=sh
# tsbuild-patch-ctl: streams: a module's stream facts, what this boot loaded, refusing an atomic
# replace that would disable another stream (exit 6), the builds kept for rollback, unloading a
# stream's other build. Sourced by the entry script.

# A stream is a named series of patches; each build of it is one cumulative module per release,
# versioned (livepatch-<stream>-<N>). A module records, in its .modinfo, whether it uses atomic
# replace and the stream and version it is a build of: the shell copy of the keys whose home is
# src/kernel/stream-facts.ts. Atomic replace disables every other livepatch, whatever its stream:
# such a module is loaded only over builds of its own stream. A build of a stream that stacks
# takes over from the stream's other build here: that one is unloaded once the new one is applied.
REPLACE_KEY=tsbuild_patch_replace
STREAM_KEY=tsbuild_patch_stream
STREAM_VERSION_KEY=tsbuild_patch_stream_version
# The build of a stream that the last upgrade replaced, per release: KEPT/RELEASE/NAME.ko (one a
# stream), for rollback. A dot name, as GUARD's.
KEPT=$STORE/.kept
# What this boot loaded through this program: LOADED/NAME holds "STREAM VERSION" ("- -" outside
# a stream). Under RUN: it goes with the boot, as the loaded modules do.
LOADED=$RUN/tsbuild-patch/loaded

# module_facts KO: "STREAM VERSION REPLACE" of a module file: "- -" outside a stream; REPLACE is
# Y, N, or ? when the module does not say (built by an older tsbuild-patch, whose default was
# atomic replace: taken as Y).
module_facts() {
  mf_stream=$(modinfo -F "$STREAM_KEY" "$1" 2>/dev/null | head -n 1)
  mf_version=$(modinfo -F "$STREAM_VERSION_KEY" "$1" 2>/dev/null | head -n 1)
  mf_replace=$(modinfo -F "$REPLACE_KEY" "$1" 2>/dev/null | head -n 1)
  echo "${mf_stream:--} ${mf_version:--} ${mf_replace:-?}"
}

# loaded_facts NAME: "STREAM VERSION" of a loaded patch: as this program recorded its load, else
# from its file in the running release's store (or among the kept builds), else "? ?" (loaded
# some other way: its stream is unknown).
loaded_facts() {
  if [ -f "$LOADED/$1" ]; then
    cat "$LOADED/$1"
    return 0
  fi
  lf_release=$(running_release)
  for lf_ko in "$STORE/$lf_release/$1.ko" "$KEPT/$lf_release/$1.ko"; do
    [ -f "$lf_ko" ] || continue
    module_facts "$lf_ko" | awk '{ print $1, $2 }'
    return 0
  done
  echo "? ?"
}

# describe NAME STREAM VERSION: a module and its stream, for messages.
describe() {
  case "$2" in
    -) echo "$1 (outside any stream)" ;;
    '?') echo "$1 (not loaded by $PROG: its stream is unknown)" ;;
    *) echo "$1 (stream $2, version $3)" ;;
  esac
}

record_loaded() {
  { mkdir -p "$LOADED" && echo "$2 $3" > "$LOADED/$1"; } 2>/dev/null || warn "$1: cannot record its stream in $LOADED"
}

forget_loaded() { rm -f "$LOADED/$1" 2>/dev/null; }

check_stream_name() {
  case "$1" in
    '' | -* | *- | *--* | *[!a-z0-9-]*) usage_error "bad stream name '$1' (lower-case letters and digits, words joined by single dashes)" ;;
  esac
}

# refuse_undo NAME STREAM VERSION REPLACE WHEN VICTIMS: exit 6 when VICTIMS (descriptions joined
# by ", ") is not empty: NAME, an atomic-replace module, would disable them.
refuse_undo() {
  [ -n "$6" ] || return 0
  ru_why="uses atomic replace"
  [ "$4" = Y ] || ru_why="records no atomic-replace flag (built by an older tsbuild-patch): taken to use atomic replace"
  warn "$(describe "$1" "$2" "$3") $ru_why: $5 it would disable $6: refused"
  if [ "$2" = - ] || [ "$2" = '?' ]; then
    warn "$1: build it without --replace so that it stacks, or remove those patches first"
  else
    warn "$1: build stream $2 without --replace so that it stacks with other patches, or remove those patches first"
  fi
  exit $EXIT_UNDO
}

# check_no_undo KO NAME: refuse (exit 6) an atomic-replace module while a patch that is not a
# build of its own stream is applied.
check_no_undo() {
  read -r cu_stream cu_version cu_replace <<FACTS
$(module_facts "$1")
FACTS
  [ "$cu_replace" = N ] && return 0
  cu_victims=""
  for cu_patch in $(loaded_patches); do
    [ "$cu_patch" = "$2" ] && continue
    [ "$(cat "$KLP/$cu_patch/enabled" 2>/dev/null)" = 1 ] || continue
    read -r cu_their_stream cu_their_version <<FACTS
$(loaded_facts "$cu_patch")
FACTS
    [ "$cu_stream" != - ] && [ "$cu_their_stream" = "$cu_stream" ] && continue
    cu_victims="${cu_victims:+$cu_victims, }$(describe "$cu_patch" "$cu_their_stream" "$cu_their_version")"
  done
  refuse_undo "$2" "$cu_stream" "$cu_version" "$cu_replace" "loaded now," "$cu_victims"
}

# check_store_no_undo KO NAME RELEASE: the same against the store of RELEASE, which the unit loads
# at every boot (atomic-replace modules first, so that the others stack on them).
check_store_no_undo() {
  read -r cs_stream cs_version cs_replace <<FACTS
$(module_facts "$1")
FACTS
  [ "$cs_replace" = N ] && return 0
  cs_victims=""
  for cs_ko in "$STORE/$3"/*.ko; do
    [ -f "$cs_ko" ] || continue
    cs_name=$(basename "$cs_ko" .ko)
    [ "$cs_name" = "$2" ] && continue
    read -r cs_their_stream cs_their_version _ <<FACTS
$(module_facts "$cs_ko")
FACTS
    [ "$cs_stream" != - ] && [ "$cs_their_stream" = "$cs_stream" ] && continue
    cs_victims="${cs_victims:+$cs_victims, }$(describe "$cs_name" "$cs_their_stream" "$cs_their_version")"
  done
  refuse_undo "$2" "$cs_stream" "$cs_version" "$cs_replace" "installed for $3 (loaded at every boot)," "$cs_victims"
}

# stream_module DIR STREAM: "FILE VERSION" of the build of STREAM in DIR (a release's store or
# its kept builds), if there is one.
stream_module() {
  for sm_ko in "$1"/*.ko; do
    [ -f "$sm_ko" ] || continue
    read -r sm_stream sm_version _ <<FACTS
$(module_facts "$sm_ko")
FACTS
    if [ "$sm_stream" = "$2" ]; then
      echo "$sm_ko $sm_version"
      return 0
    fi
  done
}

# drop_kept RELEASE STREAM: forget the kept build of STREAM for RELEASE.
drop_kept() {
  read -r dk_ko dk_version <<FACTS
$(stream_module "$KEPT/$1" "$2")
FACTS
  [ -n "$dk_ko" ] || return 0
  rm -f "$dk_ko" || die "cannot remove $dk_ko"
  rmdir "$KEPT/$1" "$KEPT" 2>/dev/null
  say "$(basename "$dk_ko" .ko): version $dk_version of stream $2 no longer kept for $1"
}

# keep_previous RELEASE NAME STREAM: the build of STREAM whose place NAME takes in RELEASE's store
# becomes the kept one (the build kept before it goes).
keep_previous() {
  read -r kp_ko kp_version <<FACTS
$(stream_module "$STORE/$1" "$3")
FACTS
  [ -n "$kp_ko" ] || return 0
  kp_name=$(basename "$kp_ko" .ko)
  [ "$kp_name" = "$2" ] && return 0
  drop_kept "$1" "$3"
  { mkdir -p "$KEPT/$1" && mv -f "$kp_ko" "$KEPT/$1/$kp_name.ko"; } || die "cannot keep $kp_ko in $KEPT/$1"
  say "$kp_name: version $kp_version of stream $3 kept for rollback ($1)"
}

# replace_stream_builds NAME STREAM VERSION: once NAME, a build of STREAM, is applied, unload the
# stream's other builds that are still applied. 1 when one could not be.
replace_stream_builds() {
  [ "$2" = - ] && return 0
  rs_status=0
  for rs_old in $(loaded_patches); do
    [ "$rs_old" = "$1" ] && continue
    [ "$(cat "$KLP/$rs_old/enabled" 2>/dev/null)" = 1 ] || continue
    read -r rs_stream rs_version <<FACTS
$(loaded_facts "$rs_old")
FACTS
    [ "$rs_stream" = "$2" ] || continue
    say "$rs_old: version $rs_version of stream $2, replaced by version $3 ($1): unloading it"
    rs_signal=""
    [ "$OPT_SIGNAL" = 1 ] && rs_signal=--signal
    if ! (cmd_unload --timeout "$OPT_TIMEOUT" $rs_signal "$rs_old"); then
      warn "$rs_old: still loaded under $1; remove it with: $PROG unload $rs_old"
      rs_status=1
    fi
  done
  return "$rs_status"
}
