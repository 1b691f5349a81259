# Guest script for `--vm-test --vm-script`: show /proc/cmdline before, during and after the livepatch.
set -e
echo "kernel:  $(uname -r)"
echo "before:  $(cat /proc/cmdline)"
insmod ./livepatch-cmdline-string.ko
klp_wait livepatch_cmdline_string
echo "patched: $(cat /proc/cmdline)"
klp_disable livepatch_cmdline_string
klp_wait_gone livepatch_cmdline_string
rmmod livepatch_cmdline_string
echo "after:   $(cat /proc/cmdline)"
