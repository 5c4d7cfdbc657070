#!/usr/bin/env bash
# Training across two "hosts" joined by shaped links (tools/netns_cluster.sh: network
# namespaces, tc tbf), 2 ranks x 1 thread, global batch 128 on synthetic 256x256 JPEGs: for each
# architecture, link rate and mode -- data-parallel with the reductions nudged between layers
# (poke) or moved by a progress thread (thread), or hybrid (fc6-fc8 model-parallel, the
# convolutions' reductions moved by the thread) -- a step's compute, its exposed communication
# (waiting for the reductions after the backward, and hybrid's blocking exchanges of
# activations), the bytes a rank sends a step by its own count and what its link carried over
# the whole run (launch, first epoch and validation included) per step, and the data-parallel
# reductions alone at that rate (bench/allreduce.cpp). The share hidden is
# 1 - (step - compute) / reductions alone, with the compute of the poke run at that rate (whose
# reductions barely move during the backward, so it computes undisturbed): a progress thread
# that only moved the cost into the compute would hide nothing. One Markdown row per run;
# needs root.
#   bench/distributed.sh [archs] [rates] [modes]
#   bench/distributed.sh "alexnet" "none 1gbit 150mbit" "poke thread hybrid"
set -euo pipefail
cd "$(dirname "$0")/.."
ARCHS=${1:-alexnet alexnet-torchvision}
RATES=${2:-none 1gbit 500mbit 250mbit 150mbit}
MODES=${3:-poke thread hybrid}
T=${TMPDIR:-/tmp}/alexnet-distributed
mkdir -p "$T"
[ -d "$T/jpeg256-720" ] || build/make_images "$T/jpeg256-720" 720 256 256 10 >/dev/null
# ONEDNN_MAX_CPU_ISA=AVX2 bench/distributed.sh ... measures AVX2's kernels: mpirun hands it on.
cluster() {  # rate, command...
  local rate=$1; shift
  tools/netns_cluster.sh --ranks 2 ${rate:+--rate $rate} --timeout 1200 -- ${ONEDNN_MAX_CPU_ISA:+-x ONEDNN_MAX_CPU_ISA} "$@"
}
echo "| arch | link | mode | step | compute | exposed comm. | reductions alone | hidden | MB sent/step | MB on the link/step |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for arch in $ARCHS; do
  for rate in $RATES; do
    [ "$rate" = none ] && r= || r=$rate
    alone=$(cluster "$r" build/allreduce_alone "$arch" 10 2 2>/dev/null | python3 -c "import json,sys; print(json.load(sys.stdin)['seconds_best'])")
    compute=
    for mode in $MODES; do
      out=$T/$arch-$rate-$mode
      rm -rf "$out"
      # 5 steps an epoch (642 images; 58 held out for validation, cut to 16), at a learning rate
      # these synthetic images do not diverge at (alexnet-torchvision did at 0.01); the second
      # epoch is measured, the first warms the primitives and the connections.
      [ "$mode" = hybrid ] && how="--parallel hybrid --comm-progress thread" || how="--parallel data --comm-progress $mode"
      cluster "$r" build/alexnet train --arch "$arch" --data "$T/jpeg256-720" --limit 700 --val-limit 16 --epochs 2 \
        --batch 128 --lr 0.001 --threads 1 --workers 1 --print-every 0 $how --out "$out" >/dev/null 2>"$out.err" ||
        { echo "| $arch | ${rate} | $mode | failed: $(tail -n1 "$out.err") |"; continue; }
      e=$(python3 -c "import json,sys; print(json.dumps([r for r in map(json.loads, open(sys.argv[1])) if r.get('type') == 'epoch'][-1]))" "$out/metrics.jsonl")
      [ "$mode" = poke ] && compute=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['compute_seconds_per_step'])" "$e")
      # The link's bytes: what rank 0's host sent over the whole run, per step of it (10).
      link=$(sed -n 's/^netns_cluster: bytes sent by host: \([0-9]*\).*/\1/p' "$out.err")
      python3 - "$e" "$arch" "$rate" "$mode" "$alone" "${compute:-nan}" "${link:-nan}" <<'PY'
import json, math, sys
e, arch, rate, mode = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
alone, undisturbed, link = float(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7])
step, comp = e["step_seconds"], e["compute_seconds_per_step"]
wait = e["comm_wait_seconds_per_step"] + e["sync_wait_seconds_per_step"] + e.get("exchange_seconds_per_step", 0)
hidden = float("nan")
if mode != "hybrid" and alone > 0.05 and not math.isnan(undisturbed):
    hidden = min(1.0, max(0.0, 1 - (step - undisturbed) / alone))
print(f"| {arch} | {'unshaped' if rate == 'none' else rate} | {mode} | {step:.2f} s | {comp:.2f} s | {wait:.2f} s "
      f"| {alone:.2f} s | {'–' if math.isnan(hidden) else f'{hidden:.0%}'} | {e['bytes_sent_per_step'] / 1e6:.1f} "
      f"| {link / 10 / 1e6:.1f} |")
PY
    done
  done
done
