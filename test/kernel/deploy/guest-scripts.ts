/** Guest shell for the deploy proof; run by the system VM's driver (with `report KEY VALUE`). */

export const KEYRING = '/usr/share/keyrings/tsbuild-patch-archive-keyring.gpg';

/** The repository is the second disk's repo/ directory, used as a signed file: source. */
export const CONFIGURE_APT = `
cp /srv/test/repo/tsbuild-patch-archive-keyring.gpg ${KEYRING}
echo "deb [signed-by=${KEYRING}] file:/srv/test/repo stable main" > /etc/apt/sources.list.d/tsbuild-patch.list
`;

export const APT_UPDATE = `
apt-get update -q > /tmp/update.log 2>&1; report update $?
report update_log "$(cat /tmp/update.log)"
`;

/** Run an apt-get command, timed, its output reported as NAME_log. */
export const apt = (name: string, args: string) => `
start=$(cut -d' ' -f1 /proc/uptime)
DEBIAN_FRONTEND=noninteractive apt-get ${args} > /tmp/${name}.log 2>&1; report ${name} $?
report ${name}_seconds "$(awk -v s="$start" '{ printf "%.1f", $1 - s }' /proc/uptime)"
report ${name}_log "$(cat /tmp/${name}.log)"
`;

/**
 * What the machine's livepatch state is: reported under PREFIX_* (the store without the builds
 * kept for rollback, which are PREFIX_kept).
 */
export const STATE = (prefix: string) => `
report ${prefix}_cmdline "$(cat /proc/cmdline)"
report ${prefix}_patches "$(ls /sys/kernel/livepatch 2>/dev/null | sort | tr '\\n' ' ')"
report ${prefix}_modules "$(ls -d /sys/module/livepatch_* 2>/dev/null | xargs -r -n1 basename | sort | tr '\\n' ' ')"
report ${prefix}_store "$(cd /var/lib/tsbuild-patch 2>/dev/null && find . -path ./.kept -prune -o -name '*.ko' -print | sort | tr '\\n' ' ')"
report ${prefix}_kept "$(cd /var/lib/tsbuild-patch/.kept 2>/dev/null && find . -name '*.ko' | sort | tr '\\n' ' ')"
report ${prefix}_manifest "$(cat /var/lib/tsbuild-patch/.packages/livepatch-cmdline 2>/dev/null | tr '\\n' ' ')"
report ${prefix}_list "$(tsbuild-patch-ctl list 2>&1)"
report ${prefix}_package "$(dpkg-query -W -f='\${Version} \${db:Status-Abbrev}' livepatch-cmdline 2>/dev/null)"
`;

/** How long after the kernel started the unit had loaded the patches (boot-to-patched). */
export const UNIT_TIMING = `
report unit_active "$(systemctl is-active tsbuild-patch.service)"
report unit_enabled "$(systemctl is-enabled tsbuild-patch.service)"
report unit_done_us "$(systemctl show -p ActiveEnterTimestampMonotonic --value tsbuild-patch.service)"
report unit_log "$(journalctl -b -u tsbuild-patch.service -o cat --no-pager 2>&1)"
report kernel_log "$(dmesg | grep -iE 'livepatch|tsbp|taint' | tail -n 30)"
`;
