#!/usr/bin/env bash
# Side-by-side speed of `tcpreplay --topspeed` and `lab replay --timing topspeed` on one veth
# pair inside a network namespace this script creates and always removes (also on Ctrl-C).
# Both replay the same pcap of minimum-size (60-byte) UDP frames; both print their own rate.
# Not part of the unit tests: a benchmark, run by hand or by a bench job. Needs root,
# iproute2, tcpreplay and the .NET SDK.
#
# usage: bench/replay/compare-tcpreplay.sh [FRAMES_IN_PCAP] [LOOPS]
set -euo pipefail

FRAMES=${1:-10000}
LOOPS=${2:-50}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NS=lab-bench-$$
WORK=$(mktemp -d /tmp/lab-bench-replay.XXXXXX)

cleanup() {
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in ip tcpreplay dotnet; do
    command -v "$tool" >/dev/null || { echo "compare-tcpreplay: $tool is not installed" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "compare-tcpreplay: needs root (network namespaces, AF_PACKET)" >&2; exit 2; }

echo "building lab (Release)..." >&2
dotnet build "$ROOT/sim/Lab.Cli" -c Release -v quiet -nologo >/dev/null
LAB="$ROOT/sim/Lab.Cli/bin/Release/net10.0/linux-x64/lab.dll"

# The pcap: little-endian microsecond header (snaplen 65535, Ethernet), then FRAMES records of
# one 60-byte frame 02:00:00:00:00:0a -> 02:00:00:00:00:0b, IPv4 192.0.2.1 -> 192.0.2.2
# (header checksum f6bb worked out by hand), UDP 40000 -> 9 with 18 zero bytes.
PCAP="$WORK/min-frames.pcap"
REC='\x00\x00\x00\x00\x00\x00\x00\x00\x3c\x00\x00\x00\x3c\x00\x00\x00'
REC+='\x02\x00\x00\x00\x00\x0b\x02\x00\x00\x00\x00\x0a\x08\x00'
REC+='\x45\x00\x00\x2e\x00\x00\x00\x00\x40\x11\xf6\xbb\xc0\x00\x02\x01\xc0\x00\x02\x02'
REC+='\x9c\x40\x00\x09\x00\x1a\x00\x00'
REC+='\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
{
    printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00'
    for ((i = 0; i < FRAMES; i++)); do printf "$REC"; done
} > "$PCAP"

ip netns add "$NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$NS" link add veth0 type veth peer name veth1
ip -n "$NS" link set veth0 up
ip -n "$NS" link set veth1 up

TOTAL=$((FRAMES * LOOPS))
echo "replaying $FRAMES frames x $LOOPS loops = $TOTAL packets of 60 bytes on veth0 (netns $NS)" >&2

# tcpreplay prints "Rated: B Bps, M Mbps, P pps"; --preload-pcap keeps it off the disk between loops.
TCPREPLAY_OUT=$(ip netns exec "$NS" tcpreplay --topspeed --preload-pcap --loop="$LOOPS" -i veth0 "$PCAP" 2>&1)
TCPREPLAY_PPS=$(sed -n 's/.*Rated:.*, \([0-9.]*\) pps.*/\1/p' <<<"$TCPREPLAY_OUT" | head -1)
TCPREPLAY_SENT=$(sed -n 's/.*Successful packets: *\([0-9]*\).*/\1/p' <<<"$TCPREPLAY_OUT" | head -1)

# lab prints "rate:       P pps (M Mpps), ..." and "packets:    N sent, F failed".
LAB_OUT=$(dotnet "$LAB" replay "$PCAP" --iface veth0 --netns "$NS" --timing topspeed --loop "$LOOPS" 2>&1)
LAB_PPS=$(sed -n 's/^rate: *\([0-9.]*\) pps.*/\1/p' <<<"$LAB_OUT")
LAB_SENT=$(sed -n 's/^packets: *\([0-9]*\) sent.*/\1/p' <<<"$LAB_OUT")

if [ -z "$TCPREPLAY_PPS" ] || [ -z "$LAB_PPS" ]; then
    echo "compare-tcpreplay: could not read a rate" >&2
    echo "$TCPREPLAY_OUT" >&2
    echo "$LAB_OUT" >&2
    exit 1
fi

awk -v t="$TCPREPLAY_PPS" -v l="$LAB_PPS" -v ts="$TCPREPLAY_SENT" -v ls="$LAB_SENT" 'BEGIN {
    printf "%-32s %12s %10s\n", "replayer", "packets", "Mpps"
    printf "%-32s %12s %10.3f\n", "tcpreplay --topspeed", ts, t / 1e6
    printf "%-32s %12s %10.3f\n", "lab replay --timing topspeed", ls, l / 1e6
    printf "lab / tcpreplay: %.2f\n", l / t
}'
