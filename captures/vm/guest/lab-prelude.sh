# Sourced before every command the harness runs in the guest.
# Static busybox runs its own applets (ip, tc, modprobe, ...) before it searches PATH,
# even where /sbin comes first; these functions send the names to the real tools.
# Scripts that exec through another program (xargs, timeout) must still name /sbin/ip.
ip() { /sbin/ip "$@"; }
tc() { /sbin/tc "$@"; }
modprobe() { /sbin/modprobe "$@"; }
insmod() { /sbin/insmod "$@"; }
rmmod() { /sbin/rmmod "$@"; }
lsmod() { /sbin/lsmod "$@"; }
modinfo() { /sbin/modinfo "$@"; }
depmod() { /sbin/depmod "$@"; }
export PATH=/sbin:/usr/sbin:/bin:/usr/bin
