# shellcheck shell=sh
# tsbuild-patch-ctl: the kernel's identity: the build-ids a module records, checked against the
# running kernel's and the loaded modules' (exit 4). Sourced by the entry script.

# A module built by tsbuild-patch records the GNU build-id of the vmlinux it was built against,
# and of each module it patches, in its .modinfo: the shell copy of the keys whose home is
# src/emit/built-against.ts. Two builds of one release share the vermagic, not the build-id.
VMLINUX_BUILD_ID_KEY=tsbuild_patch_vmlinux_build_id
TARGET_BUILD_ID_KEY=tsbuild_patch_target_build_id

# note_build_id FILE: the build-id in raw ELF notes (/sys/kernel/notes, the kernel's .notes
# section; /sys/module/NAME/notes/.note.gnu.build-id), as lowercase hex: the descriptor of the
# first note named "GNU" of type 3 (NT_GNU_BUILD_ID). Each note is namesz, descsz and type
# (w[0..2]: 32-bit words, little-endian: x86_64), the name and the descriptor, each padded to
# 4 bytes.
# Nothing when there is no such note. The shell copy of src/kernel/facts/build-id.ts.
note_build_id() {
  [ -r "$1" ] || return 0
  od -An -v -tu1 "$1" 2>/dev/null | awk '
    { for (i = 1; i <= NF; i++) b[n++] = $i }
    END {
      at = 0
      while (at + 12 <= n) {
        for (k = 0; k < 3; k++) {
          p = at + 4 * k
          w[k] = b[p] + 256 * (b[p + 1] + 256 * (b[p + 2] + 256 * b[p + 3]))
        }
        name = at + 12
        desc = name + int((w[0] + 3) / 4) * 4
        if (desc + w[1] > n) exit
        if (w[2] == 3 && w[0] == 4 && w[1] > 0 && b[name] == 71 && b[name + 1] == 78 && b[name + 2] == 85 && b[name + 3] == 0) {
          hex = ""
          for (i = 0; i < w[1]; i++) hex = hex sprintf("%02x", b[desc + i])
          print hex
          exit
        }
        at = desc + int((w[1] + 3) / 4) * 4
      }
    }'
}

# check_identity KO NAME: compare the build-ids KO records with the running kernel's and those of
# the loaded modules it patches; exit 4 naming both ids of every mismatch. A module that records
# none (an older tsbuild-patch) is let through with a note, as is what the kernel does not show.
# A target module that is not loaded cannot be checked: when it loads later, the livepatch core
# patches it while it is being loaded, before anything here could look at it.
check_identity() {
  ci_vmlinux=$(modinfo -F "$VMLINUX_BUILD_ID_KEY" "$1" 2>/dev/null)
  ci_targets=$(modinfo -F "$TARGET_BUILD_ID_KEY" "$1" 2>/dev/null)
  if [ -z "$ci_vmlinux" ] && [ -z "$ci_targets" ]; then
    say "$2: the module records no build-id of the kernel it was built against (built by an older tsbuild-patch): only its vermagic is checked"
    return 0
  fi
  ci_bad=0
  if [ -n "$ci_vmlinux" ]; then
    ci_have=$(note_build_id "$SYSFS/kernel/notes")
    if [ -z "$ci_have" ]; then
      say "$2: the running kernel shows no build-id in $SYSFS/kernel/notes: cannot check that it is the build the module was built against (vmlinux build-id $ci_vmlinux)"
    elif [ "$ci_have" != "$ci_vmlinux" ]; then
      warn "$2: built against the kernel with build-id $ci_vmlinux, but the running kernel's build-id is $ci_have (another build of $(running_release)): refused"
      ci_bad=1
    fi
  fi
  for ci_target in $ci_targets; do
    ci_mod=${ci_target%%:*}
    ci_id=${ci_target#*:}
    if [ ! -d "$SYSFS/module/$ci_mod" ]; then
      say "$2: target module $ci_mod is not loaded: its build-id cannot be checked now (the module was built against $ci_id); if it is loaded later, the livepatch core patches it without this check"
      continue
    fi
    ci_have=$(note_build_id "$SYSFS/module/$ci_mod/notes/.note.gnu.build-id")
    if [ -z "$ci_have" ]; then
      say "$2: the loaded module $ci_mod shows no build-id: cannot check it (the module was built against $ci_id)"
    elif [ "$ci_have" != "$ci_id" ]; then
      warn "$2: built against module $ci_mod with build-id $ci_id, but the loaded $ci_mod's build-id is $ci_have: refused"
      ci_bad=1
    fi
  done
  [ "$ci_bad" = 0 ] || exit $EXIT_OTHER_BUILD
}
