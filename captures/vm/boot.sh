#!/usr/bin/env bash
# Boots the lab guest by hand, with a shell on the serial console (this terminal).
# Quit with `poweroff -f` in the guest, or Ctrl-A X. Needs root (namespace, tap).
#
#   captures/vm/boot.sh [extra kernel arguments]
#
# Same machine as the C# KernelVm: one vCPU, 256 MiB, the tap "tap0" (02:00:00:00:01:01)
# in a namespace of its own (labvm-manual-PID, removed on exit) joined to the guest's eth0
# (52:54:00:00:01:01). The control port lab.ctl is a unix socket in the work directory,
# printed below; the agent waits on it, the console shell does not need it.
# From another terminal:  ip netns exec labvm-manual-PID tcpdump -ni tap0
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
eval "$("$here/build.sh" | grep -E '^(KERNEL|INITRD|KERNEL_RELEASE)=')"
ns="labvm-manual-$$"
work="$(mktemp -d "/tmp/$ns-XXXX")"
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ip netns add "$ns"
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$ns" tuntap add dev tap0 mode tap
ip -n "$ns" link set tap0 address 02:00:00:00:01:01 up
echo "boot.sh: kernel $KERNEL_RELEASE, namespace $ns, control socket $work/ctl.sock" >&2
ip netns exec "$ns" qemu-system-x86_64 -accel tcg -machine pc -smp 1 -m 256 \
  -nodefaults -no-user-config -display none -no-reboot \
  -kernel "$KERNEL" -initrd "$INITRD" -append "console=ttyS0 panic=-1 lab.shell=1 $*" \
  -serial mon:stdio \
  -device virtio-serial-pci,id=vser \
  -chardev "socket,id=ctl,path=$work/ctl.sock,server=on,wait=off" \
  -device virtserialport,bus=vser.0,chardev=ctl,name=lab.ctl \
  -netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
  -device virtio-net-pci,netdev=n0,mac=52:54:00:00:01:01,addr=0x10
