# shellcheck shell=sh
# tsbuild-patch-ctl: a patch's transition: waiting for it, the tasks blocking it, the livepatch
# signal, settling a stall, and the bounds of these waits. Sourced by the entry script.

# wait_patch NAME TARGET SECONDS: wait until NAME's transition towards TARGET (1 patched,
# 0 unpatched) has finished. 0: done; 1: timed out; 2: the patch went away while enabling.
wait_patch() {
  wp_dir=$KLP/$1
  wp_ticks=$(($3 * 5))
  while :; do
    if [ "$2" = 1 ]; then
      [ -d "$wp_dir" ] || return 2
      [ "$(cat "$wp_dir/transition" 2>/dev/null)" = 0 ] && return 0
    else
      [ -d "$wp_dir" ] || return 0
      [ "$(cat "$wp_dir/transition" 2>/dev/null)" = 0 ] && [ "$(cat "$wp_dir/enabled" 2>/dev/null)" = 0 ] && return 0
    fi
    [ "$wp_ticks" -le 0 ] && return 1
    wp_ticks=$((wp_ticks - 1))
    sleep 0.2
  done
}

# wait_gone NAME SECONDS: a disabled or replaced patch is freed by the kernel shortly after its
# transition ends (asynchronously); its module can be removed only then.
wait_gone() {
  wg_ticks=$(($2 * 5))
  while [ -d "$KLP/$1" ]; do
    [ "$wg_ticks" -le 0 ] && return 1
    wg_ticks=$((wg_ticks - 1))
    sleep 0.2
  done
  return 0
}

# Tasks that have not reached TARGET yet (/proc/PID/task/TID/patch_state: -1 no transition,
# 0 unpatched, 1 patched), with their kernel stacks when readable.
blocking_tasks() {
  for f in "$PROC"/[0-9]*/task/[0-9]*/patch_state; do
    [ -r "$f" ] || continue
    state=$(cat "$f" 2>/dev/null) || continue
    [ "$state" = -1 ] && continue
    [ "$state" = "$1" ] && continue
    task=${f%/patch_state}
    tid=${task##*/}
    pid=${task%/task/*}
    pid=${pid##*/}
    echo "  pid $pid tid $tid ($(cat "$task/comm" 2>/dev/null || echo '?')) patch_state $state"
    if [ -r "$task/stack" ]; then sed 's/^/      /' "$task/stack" 2>/dev/null; fi
  done
}

# The kernel's livepatch signal wakes the blocking tasks with a fake signal, so that they switch
# on their way back to user space (a sleeping task restarts its system call, it is not killed).
# Kernels 4.20 to 5.0 send it when 1 is written to $KLP/NAME/signal; since 5.1 that file is gone
# and the kernel sends it itself every 15 s while a transition is stalled.
KERNEL_SIGNAL_AFTER=${TSBP_KERNEL_SIGNAL_AFTER:-15}

# send_signal NAME: 0 sent; 1 this kernel signals by itself; 2 the write failed.
send_signal() {
  [ -e "$KLP/$1/signal" ] || return 1
  echo 1 > "$KLP/$1/signal" && return 0
  warn "$1: writing $KLP/$1/signal failed"
  return 2
}

# settle NAME TARGET SECONDS SIGNAL FORCE: wait; on a stall show the blockers, and signal or
# force if asked. 0 when the transition finished.
settle() {
  wait_patch "$1" "$2" "$3"
  st=$?
  [ "$st" = 1 ] || return "$st"
  warn "$1: transition still running after $3 s; tasks blocking it:"
  blocking_tasks "$2" >&2
  if [ "$4" = 1 ]; then
    more=$3
    send_signal "$1"
    case $? in
      0) say "$1: sent the livepatch signal to the blocking tasks" ;;
      1)
        [ "$3" -lt "$KERNEL_SIGNAL_AFTER" ] && more=$((KERNEL_SIGNAL_AFTER + 2 - $3))
        [ "$more" -lt "$3" ] && more=$3
        say "$1: this kernel sends the livepatch signal to the blocking tasks itself after $KERNEL_SIGNAL_AFTER s of a stalled transition; waiting up to $more s more"
        ;;
    esac
    wait_patch "$1" "$2" "$more"
    st=$?
    [ "$st" = 1 ] || return "$st"
    warn "$1: still blocked after the signal:"
    blocking_tasks "$2" >&2
  fi
  if [ "$5" = 1 ]; then
    warn "$1: forcing the transition (--force): the blocking tasks are marked as switched"
    echo 1 > "$KLP/$1/force" || warn "$1: writing $KLP/$1/force failed"
    wait_patch "$1" "$2" "$3"
    st=$?
    [ "$st" = 1 ] || return "$st"
  fi
  if [ "$4" = 0 ] && [ "$5" = 0 ]; then
    if [ -e "$KLP/$1/signal" ]; then
      warn "$1: retry with --signal to send the blocking tasks the livepatch signal (or run '$PROG signal $1' now);"
    elif [ "$3" -lt "$KERNEL_SIGNAL_AFTER" ]; then
      warn "$1: retry with --signal (or a --timeout above $KERNEL_SIGNAL_AFTER s): the kernel sends the blocking tasks the livepatch signal after $KERNEL_SIGNAL_AFTER s;"
    else
      warn "$1: the blocking tasks did not switch even after the kernel's livepatch signal;"
    fi
    warn "$1: --force only if you know the blocking tasks cannot be running the old code"
  fi
  return 1
}

# revert_wait_seconds TIMEOUT: how long a reverted load waits for each of its two steps (the
# reverse transition, then the kernel freeing the patch): the load's timeout, and at least past
# the kernel's own livepatch signal.
revert_wait_seconds() {
  if [ "$1" -lt $((KERNEL_SIGNAL_AFTER + 5)) ]; then echo $((KERNEL_SIGNAL_AFTER + 5)); else echo "$1"; fi
}

# The longest one module's load waits without --signal and --force (what load-installed does at
# boot): the transition (TIMEOUT), then, when it stalled, the revert's two waits. The home of this
# bound; tsbuild-patch.service's TimeoutStartSec covers it (a test checks).
load_wait_bound() {
  echo $(($1 + 2 * $(revert_wait_seconds "$1")))
}
