/**
 * Files put into the Debian root file system of the system VM: what makes it boot from
 * /dev/vda without a network, and the driver that runs the host's script at each boot.
 *
 * The driver is a systemd service: at every boot it mounts the second disk (/dev/vdb, made by
 * the host for that boot), sources its run.sh with a `report KEY VALUE` helper, writes
 * everything to the serial console, and powers the machine off. A reboot is a new qemu run on
 * the same copy-on-write overlay, with a new second disk.
 */

/** Marks a driver line on the serial console; values are base64 so they may hold anything. */
export const REPORT_PREFIX = '@@TSBP';

export const FSTAB = '/dev/vda / ext4 rw,errors=remount-ro 0 1\n';

export const DRIVER_PATH = '/usr/local/sbin/tsbp-guest-driver';
export const DRIVER_UNIT = 'tsbp-guest-driver.service';

export const DRIVER_SCRIPT = `#!/bin/sh
# Run /dev/vdb:run.sh (put there by the host for this boot), report on the serial console,
# power off. Values are reported as "${REPORT_PREFIX} value KEY BASE64".
report() {
  printf '%s value %s %s\\n' '${REPORT_PREFIX}' "$1" "$(printf '%s' "$2" | base64 -w0)"
}
mkdir -p /srv/test
if mount /dev/vdb /srv/test; then
  echo "${REPORT_PREFIX} begin $(cut -d' ' -f1 /proc/uptime)"
  cd /srv/test
  set +e
  . /srv/test/run.sh
  status=$?
  echo "${REPORT_PREFIX} end $status $(cut -d' ' -f1 /proc/uptime)"
  cd /
  umount /srv/test
else
  echo "${REPORT_PREFIX} nodisk"
fi
sync
systemctl poweroff --no-block --check-inhibitors=no
`;

export const DRIVER_SERVICE = `[Unit]
Description=tsbuild-patch system VM driver (runs the host's script from /dev/vdb)
After=local-fs.target tsbuild-patch.service systemd-user-sessions.service

[Service]
Type=oneshot
ExecStart=${DRIVER_PATH}
StandardOutput=tty
StandardError=inherit
TTYPath=/dev/ttyS0
TTYReset=no
TTYVHangup=no

[Install]
WantedBy=multi-user.target
`;

/** Units that would slow the boot, hold the dpkg lock or fight over the serial console. */
export const MASKED_UNITS = [
  'serial-getty@ttyS0.service',
  'getty@tty1.service',
  'apt-daily.timer',
  'apt-daily-upgrade.timer',
  'apt-daily.service',
  'apt-daily-upgrade.service',
  'e2scrub_reap.service',
  'e2scrub_all.timer',
];

/** Busybox /init of the initramfs: load the modules the root disk needs, mount it, switch. */
export const INITRAMFS_INIT = `#!/bin/sh
export PATH=/bin
busybox mkdir -p /proc /sys /dev /newroot
busybox mount -t proc proc /proc
busybox mount -t sysfs sysfs /sys
busybox mount -t devtmpfs devtmpfs /dev
for module in $(busybox cat /modules.order); do busybox insmod "/lib/modules/$module" || echo "initramfs: insmod $module failed"; done
n=0
while [ ! -b /dev/vda ] && [ $n -lt 50 ]; do busybox sleep 0.1; n=$((n + 1)); done
if ! busybox mount -t ext4 -o rw /dev/vda /newroot; then
  echo "initramfs: cannot mount /dev/vda"
  busybox poweroff -f
fi
busybox mount --move /dev /newroot/dev
busybox umount /proc /sys
exec busybox switch_root /newroot /sbin/init
`;

/** Modules Debian's kernel needs before it can mount an ext4 virtio disk (with their dependencies). */
export const ROOT_DISK_MODULES = ['virtio_pci', 'virtio_blk', 'ext4', 'crc32c_generic'];
