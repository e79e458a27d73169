#!/usr/bin/env bash
# Quiet-machine measurements for issue #15, run by the coordinator on the merged main with nothing else running.
# Usage: bash scenarios/profiles/measure-quiet.sh [REPO]   (REPO defaults to the current directory; logs go to $OUT, default /tmp/quiet-15c)
# Budget: about 17 minutes on a quiet 2-vCPU machine (estimates from the durations of 2026-12-06):
#   build                                                                                              ~1-2 min
#   lab calibrate --kernel host (defaults: 8 passes of every window, then extra passes of the stages whose 95% interval
#     is still wider than 20% of the value, all within 270 s of measuring; a busy machine gets fewer passes): run 1, the profile the validations print beside  ~5 min
#   the same again with --compare run1 --threshold 0%: run 2, the two runs' values within each other's noise?          ~5 min
#   validate --timing --calibrate rules300-ct-masq-64B   --packets 500000 --repeat 5 --points 1                         ~2 min
#   validate --timing --calibrate rules300-ct-masq-1400B --packets 500000 --repeat 5 --points 1                         ~2 min
#   validate --timing --calibrate churn-new-flow-per-packet --packets 200000 --repeat 5 --points 1                      ~1.5 min
#   (DECOMPOSE=1: lab calibrate --decompose as well, ~1 min)
# The must-show of #15 from this output: each calibration line says its time (within 5 min), its widest interval and
# which stages met the 20% bar; the compare line says whether run 2 agrees with run 1 within the noise; each held-out
# line gives the top-speed timing (model against kernel, costs measured alongside) with the kernel's five passes, their
# mean (the timing line's figure: the stages measured alongside are means over the same passes) and their median.
# --calibrate measures the calibration windows of the stages each scenario's model charges (forward, conntrack, NAT,
# linear rules, per byte) in the SAME passes as the validation's points, each point in the same ABBA blocks as those
# windows, and predicts the points from those costs: the 'timing:' lines are that side-by-side prediction, the 'timing
# with the profile:' lines the prediction from run 1 (measured minutes earlier). --points 1: top speed and 1.0x of the
# predicted saturation (the held-out must-show is CPU per packet at top speed).
# One summary line per measurement; the full output of each is in $OUT.
# Afterwards the shipped profile may be run 1:  cp $OUT/run1.yaml scenarios/profiles/epyc-2core-host-6.18.yaml
# (it already carries the machine label below), and scenarios/profiles/README.md's table row gets its date,
# duration, widest interval and the held-out lines printed here.
set -euo pipefail
REPO=${1:-$PWD}
OUT=${OUT:-/tmp/quiet-15c}
cd "$REPO"
mkdir -p "$OUT"
export LAB_VM_CACHE=${LAB_VM_CACHE:-$REPO/.cache/vm}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet build sim/Lab.Cli -v q -nologo > "$OUT/build.log" 2>&1 || { echo "build failed: $OUT/build.log"; exit 2; }
LAB=$REPO/sim/Lab.Cli/bin/Debug/net10.0/linux-x64/lab
start=$(date +%s)
MACHINE="epyc-2core-host-6.18 (AMD EPYC, 2 vCPU, quiet)"

summarize_calibration() { # $1 label, $2 log, $3 profile, $4 wall seconds of the command: elapsed, the widest interval, the bar, the kernel's counters
  local regime bar
  regime=$(grep -o 'kernel counters over the [0-9]* windows: .*ksoftirqd [0-9]* ms' "$3" | head -n 1 || true)
  bar=$(grep -m1 '^bar ' "$2" || echo 'no bar line')
  awk -v label="$1" -v regime="$regime" -v bar="$bar" -v wall="$4" '
    /^calibrated/ { for (i = 1; i <= NF; i++) if ($i == "in") t = $(i + 1); sub(":$", "", t); extra = ($0 ~ /extra passes/) ? $0 : ""; sub(/.*, then /, "", extra) }
    /^  [a-z_]+ +-?[0-9.]+ ns +95%/ && $1 != "forward_per_byte" {
      w = $0; sub(/.*\+-/, "", w); sub(/%.*/, "", w)
      if (w + 0 > max) { max = w + 0; at = $1 }
      n++ }
    END { printf "%s: measured in %s, command %d s%s, %d stages measured, widest interval +-%.1f%% (%s); %s; %s\n", label, t, wall, (extra == "" ? "" : " (" extra ")"), n, max, at, bar, regime }' "$2"
}

t0=$(date +%s)
"$LAB" calibrate --kernel host --out "$OUT/run1.yaml" --machine "$MACHINE" --no-store > "$OUT/calibrate-1.log" 2>&1
summarize_calibration "calibrate 1 (defaults)" "$OUT/calibrate-1.log" "$OUT/run1.yaml" $(( $(date +%s) - t0 ))
t0=$(date +%s)
set +e
"$LAB" calibrate --kernel host --out "$OUT/run2.yaml" --machine "$MACHINE" --no-store --compare "$OUT/run1.yaml" --threshold 0% > "$OUT/calibrate-2.log" 2>&1
compare_code=$?
set -e
summarize_calibration "calibrate 2 (defaults)" "$OUT/calibrate-2.log" "$OUT/run2.yaml" $(( $(date +%s) - t0 ))
echo "run 2 against run 1 (--threshold 0%, exit $compare_code): $(grep -E '^(no stage|[0-9]+ stage)' "$OUT/calibrate-2.log" || echo 'no comparison line'); changed: $(grep -E ' CHANGED$' "$OUT/calibrate-2.log" | awk '{print $1}' | paste -sd, - || true)"
validate() { # $1 scenario name, $2 packets
  set +e
  "$LAB" validate --timing "scenarios/timing/$1.yaml" --kernel host --calibrate --costs "$OUT/run1.yaml" --packets "$2" --repeat 5 --points 1 \
    --out "$OUT/$1-timing" > "$OUT/$1.log" 2>&1
  local code=$?
  set -e
  local top given counters cache passes
  top=$(grep -m1 '^timing:' "$OUT/$1.log" || echo 'no timing line')
  passes=$(grep -m1 '^kernel per pass:' "$OUT/$1.log" | sed 's/ (the timing line.*//' || echo 'no per-pass line')
  given=$(grep -m1 '^timing with the profile:' "$OUT/$1.log" | sed 's/^timing with the profile: /run 1: /' || true)
  counters=$(grep -m1 '^kernel counters:' "$OUT/$1.log" | sed 's/^kernel counters: //; s/;.*//' || true)
  cache=$(grep -m1 '^cache reference:' "$OUT/$1.log" | sed 's/^cache reference: [0-9]* MB pointer chase //; s/ (median of [0-9]* passes, / [/; s/).*/]/' || true)
  echo "$1: $top (top speed, costs measured alongside, kernel: mean of 5 passes); $passes; $given; $counters; cache reference $cache (exit $code)"
}
validate rules300-ct-masq-64B 500000
validate rules300-ct-masq-1400B 500000
validate churn-new-flow-per-packet 200000
if [ "${DECOMPOSE:-0}" = 1 ]; then
  "$LAB" calibrate --kernel host --decompose > "$OUT/decompose.log" 2>&1 || echo "decompose failed: $OUT/decompose.log"
  echo "decomposition (ns, mean over 6 passes [95%]):"
  grep -E '^  (conntrack|masquerade|rule|residual)' "$OUT/decompose.log" | sed 's/]   .*$/]/' || true
fi
echo "total: $(( ($(date +%s) - start) / 60 )) min $(( ($(date +%s) - start) % 60 )) s; load average after: $(cut -d' ' -f1-3 /proc/loadavg); logs in $OUT"
