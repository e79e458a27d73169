#!/usr/bin/env bash
# Quiet-machine measurements for issue #15 (c-calib2), run by the coordinator on the merged main with nothing else running.
# Usage: bash QUIET.sh [REPO]   (REPO defaults to the current directory; logs go to $OUT, default /tmp/quiet-15b)
# Budget: at most 20 minutes on a quiet 2-vCPU machine:
#   build                                                                         ~1-2 min
#   lab calibrate --kernel host (defaults: 12 passes), twice, the second compared  ~4.2 min each
#   validate --timing rules300-ct-masq-64B   --packets 500000 --repeat 5           ~3 min (3:02 on 2026-12-06)
#   validate --timing rules300-ct-masq-1400B --packets 500000 --repeat 5           ~3 min (2:57)
#   validate --timing churn-new-flow-per-packet --packets 200000 --repeat 5        ~1 min (0:51)
#   (each validation now adds three top-speed baseline windows, about 3 s, and a 4 MB pointer chase per pass)
# Every validation now measures all its points in every pass (rotating order) and prints the kernel's counters
# (backlog drops, time_squeeze, ksoftirqd) per point and a cache reference (4 MB pointer chase) per pass.
# One summary line per measurement; the full output of each is in $OUT.
# Afterwards the shipped profile is run 1:  cp $OUT/run1.yaml scenarios/profiles/epyc-2core-host-6.18.yaml
# (it already carries the machine label below), and scenarios/profiles/README.md's table row gets its date,
# duration, widest interval and the held-out lines printed here.
set -euo pipefail
REPO=${1:-$PWD}
OUT=${OUT:-/tmp/quiet-15b}
cd "$REPO"
mkdir -p "$OUT"
export LAB_VM_CACHE=${LAB_VM_CACHE:-$REPO/.cache/vm}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet build sim/Lab.Cli -v q -nologo > "$OUT/build.log" 2>&1 || { echo "build failed: $OUT/build.log"; exit 2; }
LAB=$REPO/sim/Lab.Cli/bin/Debug/net10.0/linux-x64/lab
start=$(date +%s)
MACHINE="epyc-2core-host-6.18 (AMD EPYC, 2 vCPU, quiet)"

summarize_calibration() { # $1 label, $2 log, $3 profile: elapsed, the widest interval of a measured stage, the kernel's counters
  local regime
  regime=$(grep -o 'kernel counters over the [0-9]* windows: .*ksoftirqd [0-9]* ms' "$3" | head -n 1 || true)
  awk -v label="$1" -v regime="$regime" '
    /^calibrated/ { for (i = 1; i <= NF; i++) if ($i == "in") t = $(i + 1); sub(":$", "", t) }
    /^  [a-z_]+ +-?[0-9.]+ ns +95%/ && $1 != "forward_per_byte" {
      w = $0; sub(/.*\+-/, "", w); sub(/%.*/, "", w)
      if (w + 0 > max) { max = w + 0; at = $1 }
      n++ }
    END { printf "%s: %s, %d stages measured, widest interval +-%.1f%% (%s); %s\n", label, t, n, max, at, regime }' "$2"
}

"$LAB" calibrate --kernel host --out "$OUT/run1.yaml" --machine "$MACHINE" --no-store > "$OUT/calibrate-1.log" 2>&1
summarize_calibration "calibrate 1 (defaults)" "$OUT/calibrate-1.log" "$OUT/run1.yaml"
set +e
"$LAB" calibrate --kernel host --out "$OUT/run2.yaml" --machine "$MACHINE" --no-store --compare "$OUT/run1.yaml" --threshold 0% > "$OUT/calibrate-2.log" 2>&1
agree=$?
set -e
summarize_calibration "calibrate 2 (defaults)" "$OUT/calibrate-2.log" "$OUT/run2.yaml"
echo "calibrate 2 against 1: $(tail -n 1 "$OUT/calibrate-2.log") (exit $agree; 0: every stage within the noise)"

validate() { # $1 scenario name, $2 packets
  set +e
  "$LAB" validate --timing "scenarios/timing/$1.yaml" --kernel host --costs "$OUT/run1.yaml" --packets "$2" --repeat 5 \
    --out "$OUT/$1-timing" > "$OUT/$1.log" 2>&1
  local code=$?
  set -e
  local top sat counters cache
  top=$(grep -m1 '^timing:' "$OUT/$1.log" || echo 'no timing line')
  sat=$(grep -m1 '^saturation:' "$OUT/$1.log" | sed 's/.*error /saturation error /' || true)
  counters=$(grep -m1 '^kernel counters:' "$OUT/$1.log" | sed 's/^kernel counters: //; s/;.*//' || true)
  cache=$(grep -m1 '^cache reference:' "$OUT/$1.log" | sed 's/^cache reference: [0-9]* MB pointer chase //; s/ (median of [0-9]* passes, / [/; s/).*/]/' || true)
  echo "$1: $top (top speed, median of 5); $sat; $counters; cache reference $cache (exit $code)"
}
validate rules300-ct-masq-64B 500000
validate rules300-ct-masq-1400B 500000
validate churn-new-flow-per-packet 200000
echo "total: $(( ($(date +%s) - start) / 60 )) min $(( ($(date +%s) - start) % 60 )) s; load average after: $(cut -d' ' -f1-3 /proc/loadavg); logs in $OUT"
