#!/usr/bin/env bash
# The main job as a slower or busier machine runs it: the README's first command's training,
# evaluation and pictures, under one of
#   idle          this machine as it is
#   busy          another program spinning on one core for the first 60 s
#   share S       a CPU quota of S of this machine's cores (tools/cpu_share.sh; root)
# and one line of results: the plan at the start, every re-plan, the epochs, the training time,
# the best validation error and the test split's accuracy (evaluated at the end: 10 crops, and
# the centre crop).
#
#   bench/time_budget.sh share 0.5 [RUN_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-idle}
case $MODE in
  idle|busy) RUN=${2:-runs/budget-$MODE} ;;
  share) SHARE=${2:?share S needs a number}; RUN=${3:-runs/budget-share-$SHARE} ;;
  *) echo "usage: $0 idle|busy|share S [RUN_DIR]" >&2; exit 2 ;;
esac
rm -rf "$RUN"
mkdir -p "$(dirname "$RUN")"
LOG=$RUN.log
start=$(date +%s)
case $MODE in
  idle) RUN=$RUN tools/main_job.sh > "$LOG" 2>&1 ;;
  busy)
    timeout 60 taskset -c 0 sh -c 'while :; do :; done' &
    RUN=$RUN tools/main_job.sh > "$LOG" 2>&1 ;;
  share) RUN=$RUN tools/cpu_share.sh "$SHARE" -- tools/main_job.sh > "$LOG" 2>&1 ;;
esac
wall=$(( $(date +%s) - start ))
/usr/bin/env python3 - "$RUN" "$LOG" "$MODE ${SHARE:-}" "$wall" <<'PY'
import json, re, sys
run, log, mode, wall = sys.argv[1], sys.argv[2], sys.argv[3].strip(), int(sys.argv[4])
records = [json.loads(l) for l in open(run + "/metrics.jsonl")]
epochs = [r for r in records if r.get("type") == "epoch"]
plans = [r for r in records if r.get("type") == "plan"]
text = open(log).read()
first = re.search(r"\((\d+) images/s\), validation [0-9.]+ s: (\d+) epochs planned", text)
threads = re.search(r"(\d+) threads x", text)
tests = re.findall(r"accuracy ([0-9.]+)%", text)  # 10 crops, then the centre crop
best = min(epochs, key=lambda r: r["val_top1_error"])
replans = ", ".join(f"{p['after_epoch']}→{p['change']['epochs']}" for p in plans if "after_epoch" in p)
trained = re.findall(r"^epoch \d+/\d+: .* img/s, (\d+m\d+s)$", text, re.M)[-1]  # the run's clock at its end
print(f"| {mode} | {threads.group(1) if threads else '?'} | {first.group(2)} ({first.group(1)} images/s) | "
      f"{replans or 'none'} | {len(epochs)} | {trained} | "
      f"{wall // 60}m{wall % 60:02d}s | {100 * best['val_top1_error']:.2f}% (epoch {best['epoch']}) | "
      f"{tests[0] if tests else '?'}% | {tests[1] if len(tests) > 1 else '?'}% |")
PY
