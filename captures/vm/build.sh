#!/usr/bin/env bash
# Builds (once) the kernel and initramfs that `lab validate --kernel vm` boots under qemu.
#
# Output, under the cache dir ($LAB_VM_CACHE, else $LAB_CACHE/vm, else <repo>/.cache/vm):
#   vmlinuz          Debian 12's kernel (the package linux-image-amd64 depends on)
#   initramfs.gz     busybox, kmod, ip, tc, nft, conntrack, their libraries, the kernel's
#                    net/crypto/netfilter modules and /init (captures/vm/guest/init)
#   kernel-release   e.g. 6.1.0-56-amd64
#   stamp            hash of the inputs; when it matches, nothing is rebuilt
# On success the last lines on stdout are KERNEL=..., INITRD=..., KERNEL_RELEASE=...
# (the C# harness reads them). Progress goes to stderr.
#
# Options: --refresh  resolve linux-image-amd64 again (pick up a newer kernel package)
#          --print    only print the paths if the cache is complete, else exit 3
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${LAB_VM_CACHE:-${LAB_CACHE:+$LAB_CACHE/vm}}"
cache="${cache:-$repo/.cache/vm}"
refresh=0; print_only=0
for a in "$@"; do
  case "$a" in
    --refresh) refresh=1 ;;
    --print) print_only=1 ;;
    *) echo "build.sh: unknown option '$a' (expected --refresh or --print)" >&2; exit 2 ;;
  esac
done

log() { echo "vm/build: $*" >&2; }
die() { echo "vm/build: error: $*" >&2; exit 1; }

# Host tools copied into the guest, and the modules it gets (with their dependencies).
# Whole directories keep every nf_tables expression, conntrack helper, qdisc and cipher
# available; the named drivers are the ones the harness uses.
guest_tools=(/bin/ip /sbin/tc /usr/sbin/nft /usr/sbin/conntrack /bin/kmod)
module_dirs=(kernel/net/netfilter kernel/net/ipv4 kernel/net/ipv6 kernel/net/xfrm
             kernel/net/sched kernel/net/bridge kernel/net/8021q kernel/net/llc
             kernel/net/802 kernel/crypto)
module_names=(virtio virtio_ring virtio_pci virtio_pci_modern_dev virtio_pci_legacy_dev
              virtio_net net_failover failover virtio_console veth tun dummy macvlan
              ifb vrf vxlan geneve)
# Deliberately absent: kernel/arch/x86/crypto (aesni_intel, ghash-clmulni). Their AEADs
# are asynchronous (cryptd), so the kernel could complete ESP decryptions out of order;
# the generic C implementations are synchronous and keep the receive order the models assume.

inputs_hash() {
  # Everything that shapes the initramfs: this script, the guest files, the host tools.
  { cat "$0"; find "$here/guest" -type f -print0 | sort -z | xargs -0 cat;
    for t in "${guest_tools[@]}" /bin/busybox; do sha256sum "$(readlink -f "$t")"; done
  } | sha256sum | cut -c1-16
}

print_paths() {
  echo "KERNEL=$cache/vmlinuz"
  echo "INITRD=$cache/initramfs.gz"
  echo "KERNEL_RELEASE=$(cat "$cache/kernel-release")"
}

for t in "${guest_tools[@]}" /bin/busybox; do
  [[ -x "$t" ]] || die "$t is missing: apt-get install busybox-static kmod iproute2 nftables conntrack"
done
for t in dpkg-deb apt-get apt-cache cpio gzip depmod ldd; do
  command -v "$t" >/dev/null || die "'$t' is missing: apt-get install cpio gzip kmod"
done
file_out="$(LC_ALL=C ldd /bin/busybox 2>&1 || true)"
[[ "$file_out" == *"not a dynamic executable"* ]] || die "/bin/busybox is not static: apt-get install busybox-static"

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9   # one builder at a time; a second waits and then finds the cache complete

want="$(inputs_hash)"
if [[ $refresh -eq 0 && -f "$cache/stamp" && "$(cat "$cache/stamp")" == "$want" \
      && -f "$cache/vmlinuz" && -f "$cache/initramfs.gz" && -f "$cache/kernel-release" ]]; then
  print_paths; exit 0
fi
[[ $print_only -eq 1 ]] && exit 3

t0=$(date +%s)

# 1. The kernel package: the one linux-image-amd64 depends on, downloaded, never installed.
resolve_kernel_pkg() {
  apt-cache depends linux-image-amd64 2>/dev/null \
    | awk '$1=="Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ {print $2; exit}'
}
pkg=""
if [[ $refresh -eq 0 && -f "$cache/kernel-package" ]]; then pkg="$(cat "$cache/kernel-package")"; fi
if [[ -z "$pkg" ]]; then
  pkg="$(resolve_kernel_pkg || true)"
  if [[ -z "$pkg" && $(id -u) -eq 0 ]]; then
    log "apt lists do not know linux-image-amd64; running apt-get update"
    apt-get update -qq >&2 || true
    pkg="$(resolve_kernel_pkg || true)"
  fi
  [[ -n "$pkg" ]] || die "cannot resolve linux-image-amd64's kernel package (no apt lists or no network; run apt-get update)"
fi
debdir="$cache/debs"; mkdir -p "$debdir"
deb="$(ls "$debdir/${pkg}"_*.deb 2>/dev/null | tail -n1 || true)"
if [[ -z "$deb" ]]; then
  log "downloading $pkg"
  (cd "$debdir" && apt-get download -q "$pkg" >&2) \
    || die "apt-get download $pkg failed (no network to the Debian mirror?)"
  deb="$(ls "$debdir/${pkg}"_*.deb | tail -n1)"
fi
echo "$pkg" > "$cache/kernel-package"

kroot="$cache/kernel-root"
if [[ ! -f "$kroot/.unpacked-$(basename "$deb")" ]]; then
  log "unpacking $(basename "$deb")"
  rm -rf "$kroot"; mkdir -p "$kroot"
  dpkg-deb -x "$deb" "$kroot"
  touch "$kroot/.unpacked-$(basename "$deb")"
fi
kver="$(ls "$kroot/lib/modules" | head -n1)"
[[ -n "$kver" && -f "$kroot/boot/vmlinuz-$kver" ]] || die "no vmlinuz in $deb"
mods="$kroot/lib/modules/$kver"
[[ -f "$mods/modules.dep" ]] || depmod -b "$kroot" "$kver"

# 2. The initramfs tree.
stage="$cache/initramfs.tmp"
rm -rf "$stage"; mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,root,var/run}
cp /bin/busybox "$stage/bin/busybox"
for applet in $(/bin/busybox --list); do
  case "$applet" in
    # kmod and iproute2 provide the real ones below; busybox's would shadow them in PATH.
    ip|tc|modprobe|insmod|rmmod|lsmod|depmod|modinfo|busybox) ;;
    *) ln -s busybox "$stage/bin/$applet" ;;
  esac
done
cp "$(readlink -f /bin/ip)" "$stage/sbin/ip"
cp "$(readlink -f /sbin/tc)" "$stage/sbin/tc"
cp "$(readlink -f /usr/sbin/nft)" "$stage/usr/sbin/nft"
cp "$(readlink -f /usr/sbin/conntrack)" "$stage/usr/sbin/conntrack"
cp "$(readlink -f /bin/kmod)" "$stage/bin/kmod"
for k in modprobe insmod rmmod lsmod depmod modinfo; do ln -s ../bin/kmod "$stage/sbin/$k"; done
for t in ip tc; do ln -s ../../sbin/$t "$stage/usr/sbin/$t"; done

# Shared libraries of the dynamic tools, at the paths ldd names.
for bin in "$stage/sbin/ip" "$stage/sbin/tc" "$stage/usr/sbin/nft" "$stage/usr/sbin/conntrack" "$stage/bin/kmod"; do
  ldd "$bin" | awk '/=> \// {print $3} /^[ \t]*\/lib/ {print $1}'
done | sort -u | while read -r lib; do
  mkdir -p "$stage$(dirname "$lib")"
  cp -L "$lib" "$stage$lib"
done

# Files the tools read: protocol and service names (nft, ip), iproute2's tables.
for f in /etc/protocols /etc/services; do [[ -f "$f" ]] && cp "$f" "$stage/etc/"; done
[[ -d /etc/iproute2 ]] && cp -r /etc/iproute2 "$stage/etc/"
echo "root:x:0:0:root:/root:/bin/sh" > "$stage/etc/passwd"
echo "root:x:0:" > "$stage/etc/group"

# Modules: the chosen ones plus everything modules.dep says they need (it lists the
# full transitive dependencies), decompressed, then depmod for the guest tree.
selected="$cache/modules.selected"
{
  for d in "${module_dirs[@]}"; do [[ -d "$mods/$d" ]] && (cd "$mods" && find "$d" -name '*.ko*'); done
  for n in "${module_names[@]}"; do
    m="$(awk -F: -v n="$n" '{f=$1; sub(/.*\//,"",f); sub(/\.ko(\.xz|\.zst|\.gz)?$/,"",f);
          gsub(/-/,"_",f); if (f==n) {print $1; exit}}' "$mods/modules.dep")"
    if [[ -n "$m" ]]; then echo "$m"; else log "note: module $n not in $kver"; fi
  done
} | sort -u > "$selected.roots"
awk -F': *' 'NR==FNR {want[$1]=1; next}
             ($1 in want) {print $1; n=split($2, d, " "); for (i=1;i<=n;i++) print d[i]}' \
    "$selected.roots" "$mods/modules.dep" | sort -u > "$selected"
gmods="$stage/lib/modules/$kver"
mkdir -p "$gmods"
while read -r m; do
  mkdir -p "$gmods/$(dirname "$m")"
  case "$m" in
    *.ko.xz)  xz -dc "$mods/$m" > "$gmods/${m%.xz}" ;;
    *.ko.zst) zstd -qdc "$mods/$m" > "$gmods/${m%.zst}" ;;
    *.ko.gz)  gzip -dc "$mods/$m" > "$gmods/${m%.gz}" ;;
    *)        cp "$mods/$m" "$gmods/$m" ;;
  esac
done < "$selected"
cp "$mods"/modules.builtin* "$mods/modules.order" "$gmods/" 2>/dev/null || true
depmod -b "$stage" "$kver"
log "$(wc -l < "$selected") modules for $kver"

# The guest's init and control agent.
install -m 0755 "$here/guest/init" "$stage/init"
install -m 0755 "$here/guest/lab-agent" "$stage/bin/lab-agent"
install -m 0644 "$here/guest/lab-prelude.sh" "$stage/etc/lab-prelude.sh"
echo "$kver" > "$stage/etc/lab-kernel-release"

# 3. Pack (cpio newc, gzip) and publish atomically.
(cd "$stage" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) \
  | gzip -6 > "$cache/initramfs.gz.tmp"
cp "$kroot/boot/vmlinuz-$kver" "$cache/vmlinuz.tmp"
mv "$cache/vmlinuz.tmp" "$cache/vmlinuz"
mv "$cache/initramfs.gz.tmp" "$cache/initramfs.gz"
echo "$kver" > "$cache/kernel-release"
echo "$want" > "$cache/stamp"
rm -rf "$stage" "$kroot"   # 400 MB unpacked; the .deb stays for the next rebuild
log "built in $(( $(date +%s) - t0 )) s: $(du -h "$cache/initramfs.gz" | cut -f1) initramfs"
print_paths
