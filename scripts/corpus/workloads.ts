// What a corpus entry's livepatch runs under while it is applied, so that the calls of its
// functions are counted under a load that can reach them: a cheap workload chosen from the
// patched file's subsystem (proc, sysfs, a file system on a loop device, networking on lo, files
// on tmpfs, a module's own load), or none, and then the entry is honestly "not exercised"
// unless the kernel called its functions by itself.

export interface Workload {
  /** What it exercises, for the summary ("proc", "ext4 on a loop device", ...). */
  name: string;
  /** Guest shell lines, run in /modules (where the guest's .ko files are) while the livepatch is applied. */
  script: string;
  /** The kernel's own modules it needs in the guest (besides the livepatch's targets), where the kernel has them as modules. */
  modules: string[];
}

/** Files in DIR: create, write, read, rename, link, truncate, stat, remove, sync. */
function fileOperations(dir: string): string {
  return [
    `mkdir -p ${dir}/a/b`,
    `echo hello > ${dir}/a/f; cat ${dir}/a/f`,
    `dd if=/dev/zero of=${dir}/big bs=64k count=16; sync ${dir}/big; cat ${dir}/big > /dev/null`,
    `mv ${dir}/a/f ${dir}/a/g; ln -s g ${dir}/a/l; ln ${dir}/a/g ${dir}/a/h; readlink ${dir}/a/l`,
    `truncate -s 1000 ${dir}/big; fallocate -l 65536 ${dir}/fa; stat ${dir}/a/g; chmod 600 ${dir}/a/g; touch ${dir}/a/g`,
    `ls -laR ${dir}; df ${dir}`,
    `rm -rf ${dir}/a ${dir}/big ${dir}/fa; sync`,
  ].join('\n');
}

/** A file system of TYPE made by MKFS on a loop device, mounted, used and unmounted. */
function loopFileSystem(type: string, mkfs: string, megabytes: number): string {
  return [
    'modprobe loop',
    `dd if=/dev/zero of=/tmp/fs.img bs=1M count=${megabytes}`,
    `${mkfs} /tmp/fs.img`,
    'mkdir -p /mnt/w',
    `mount -t ${type} -o loop /tmp/fs.img /mnt/w`,
    fileOperations('/mnt/w'),
    'umount /mnt/w; rm -f /tmp/fs.img',
  ].join('\n');
}

const PROC = `for f in /proc/[a-z]* /proc/self/[a-z]* /proc/1/[a-z]* /proc/sys/kernel/* /proc/net/*; do
  case $f in /proc/kmsg|/proc/kcore|/proc/kpage*|/proc/sysrq-trigger|*/mem|*/pagemap|*/clear_refs) continue ;; esac
  [ -f "$f" ] && cat "$f"
done
ls -l /proc/self/fd /proc/self/fdinfo /proc/self/task /proc/self/ns; cat /proc/self/fdinfo/*`;

// /sys/power is left out: reading wakeup_count may wait for wakeup events to settle.
const SYSFS = `ls -lR /sys/devices/system /sys/class /sys/bus /sys/module /sys/kernel/mm
find /sys/devices/system /sys/class/net/ /sys/module /sys/kernel/mm -xdev -type f | head -n 3000 | while read -r f; do cat "$f"; done`;

const NETWORK = `ip link set lo up; ip addr show; ip route show; ip -6 route show
ping -c 3 -W 1 127.0.0.1; ping6 -c 3 -W 1 ::1
mkdir -p /tmp/www; echo hello > /tmp/www/index.html
httpd -p 127.0.0.1:8080 -h /tmp/www
timeout 5 wget -q -O /dev/null http://127.0.0.1:8080/index.html; timeout 5 wget -q -O /dev/null http://127.0.0.1:8080/none
killall httpd
timeout 3 nslookup localhost 127.0.0.1
netstat -an; cat /proc/net/tcp /proc/net/udp /proc/net/unix /proc/net/dev`;

const NETWORKING = /^(net\/(ipv4|ipv6|core|unix|netlink|packet)\/|net\/socket\.c$|drivers\/net\/loopback\.c$)/;

/**
 * The workload for a fix of FILE whose livepatch patches TARGETS ("vmlinux" or modules; the
 * guest's file of each target module in TARGETFILES, by kernel name); undefined when none is cheap.
 */
export function workloadFor(
  file: string,
  targets: readonly string[],
  targetFiles: Readonly<Record<string, string>> = {},
): Workload | undefined {
  if (file.startsWith('fs/proc/')) return { name: 'proc', script: PROC, modules: [] };
  if (/^(fs\/sysfs|fs\/kernfs|drivers\/base)\//.test(file)) return { name: 'sysfs', script: SYSFS, modules: [] };
  if (file.startsWith('fs/ext4/'))
    // busybox's mke2fs makes ext2, which ext4 mounts (without a journal: jbd2 is not reached).
    return {
      name: 'ext4 on a loop device',
      script: loopFileSystem('ext4', 'mke2fs -F', 16),
      modules: ['loop', 'ext4'],
    };
  if (file.startsWith('fs/fat/')) {
    const type = targets.includes('msdos') ? 'msdos' : 'vfat';
    return {
      name: `${type} on a loop device`,
      script: loopFileSystem(type, 'mkdosfs', 40),
      modules: ['loop', type, 'nls_cp437', 'nls_utf8', 'nls_iso8859_1'],
    };
  }
  if (NETWORKING.test(file)) return { name: 'networking on lo', script: NETWORK, modules: [] };
  if (/^fs\/[^/]+\.c$/.test(file) || file.startsWith('fs/ramfs/') || file === 'mm/shmem.c')
    return { name: 'files on tmpfs', script: fileOperations('/tmp/w'), modules: [] };
  const reloads = targets.filter((t) => t !== 'vmlinux' && targetFiles[t]);
  if (reloads.length > 0)
    return {
      name: `a reload of ${reloads.join(', ')}`,
      // Patched as it loads again (the livepatch is applied to a module as it comes).
      script: reloads.map((t) => `rmmod ${t} && insmod ./${targetFiles[t]}`).join('\n'),
      modules: [],
    };
  return undefined;
}
