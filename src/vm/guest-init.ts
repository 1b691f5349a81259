import { CALL_COUNT_LIBRARY, CALLS_FILE, CALLS_TAG } from './call-counts.js';

/**
 * The guest side: /init of the initramfs (a busybox shell script) and a small shell library the
 * test scripts can source. The test script runs with its modules in the working directory
 * (/modules); its output and the kernel log are sent back framed (see serial-protocol.ts).
 */
export const GUEST_INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
# Kprobe events count the calls of a livepatch's functions (call-counts.ts): a kernel without
# tracefs has none.
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
# The kernel's request_module() runs busybox's modprobe (on /lib/modules/<release>, if given).
echo /bin/modprobe > /proc/sys/kernel/modprobe
echo "@@TSBP:READY@@"
cd /modules
sh -c '. /lib/tsbp.sh; . /test.sh' > /tmp/test.out 2>&1 < /dev/null
status=$?
echo 1 > /proc/sys/kernel/printk
emit() {
  echo "@@TSBP:BEGIN $1@@"
  base64 < "$2"
  echo "@@TSBP:END $1 $(wc -c < "$2")@@"
}
emit OUTPUT /tmp/test.out
[ -f ${CALLS_FILE} ] && emit ${CALLS_TAG} ${CALLS_FILE}
dmesg > /tmp/kernel.log
emit KLOG /tmp/kernel.log
echo "@@TSBP:EXIT $status@@"
# reboot -f does not wait for the serial port to send what is still buffered: wait until the
# port's transmit counter has stood still for a while.
last=""; still=0; n=0
while [ $still -lt 3 ] && [ $n -lt 200 ]; do
  now=$(sed -n 's/^0:.* tx:\\([0-9]*\\).*/\\1/p' /proc/tty/driver/serial 2>/dev/null)
  if [ -n "$now" ] && [ "$now" = "$last" ]; then still=$((still + 1)); else still=0; fi
  last=$now; n=$((n + 1))
  usleep 50000
done
sync
reboot -f
`;

/** Helpers available to every test script. */
export const GUEST_LIBRARY = `# tsbuild-patch guest helpers
# klp_wait PATCH [TENTHS]: wait until PATCH's transition is over (default 30 s)
klp_wait() {
  _n=0
  while [ "$(cat /sys/kernel/livepatch/$1/transition 2>/dev/null)" != 0 ]; do
    _n=$((_n + 1))
    [ $_n -gt \${2:-300} ] && { echo "klp_wait: $1 still in transition"; return 1; }
    usleep 100000
  done
}
# klp_disable PATCH: disable PATCH and wait for the transition to end (the kernel frees a
# disabled patch, so its sysfs directory may be gone by then)
klp_disable() {
  echo 0 > /sys/kernel/livepatch/$1/enabled || return 1
  _n=0
  while [ -d /sys/kernel/livepatch/$1 ] && [ "$(cat /sys/kernel/livepatch/$1/transition 2>/dev/null)" = 1 ]; do
    _n=$((_n + 1)); [ $_n -gt 300 ] && { echo "klp_disable: $1 still in transition"; return 1; }
    usleep 100000
  done
}
# klp_wait_gone PATCH: wait until PATCH's sysfs directory is gone (after disable)
klp_wait_gone() {
  _n=0
  while [ -d /sys/kernel/livepatch/$1 ]; do
    _n=$((_n + 1)); [ $_n -gt 300 ] && return 1; usleep 100000
  done
}
# report NAME VALUE: a line the host can pick up with result.values
report() { echo "@@value $1=$2"; }
${CALL_COUNT_LIBRARY}`;
