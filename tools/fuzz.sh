#!/usr/bin/env bash
# Builds the fuzz targets (tests/fuzz: libFuzzer, the parsers under ASan + UBSan, Debian's
# clang-16, in the instrumented build tools/asan_build.sh makes) and runs each over its seed corpus, then on new inputs:
#   tools/fuzz.sh            the seeds, then 10,000 inputs a target from a fixed random seed, so
#                            that a run is the same every time (what the test command runs)
#   tools/fuzz.sh 600        ten minutes a target; findings land in build-asan/findings/
# A finding (a crash, a sanitizer report, an error other than a user's) fails the script, and
# its input is kept as a regression test under tests/fuzz/regressions/<target>/.
set -euo pipefail
# The table's kernels (kernels/tuning.hpp): nothing measured, nothing written to ~/.cache.
export ALEXNET_TUNE="${ALEXNET_TUNE:-off}"
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-}
B=build-asan  # shared with tools/sanitize.sh (tools/asan_build.sh)
tools/asan_build.sh fuzz
mkdir -p $B/findings
# Seeds: the project's own files of each kind (tests/data), small ones written for a target
# (tests/fuzz/seeds) and the fuzz regressions.
seeds() {
  case $1 in
    safetensors) find tests/data -name '*.safetensors' ;;
    npy) find tests/data -name '*.npy' ;;
    torch_file) find tests/data -name '*.pth' -o -name '*.pt' ;;
    onnx) find tests/data -name '*.onnx' ;;
    caffemodel) find tests/data -name '*.caffemodel' ;;
    image) find tests/data -name '*.png' -o -name '*.jpg' ;;
  esac
  [ -d tests/fuzz/seeds/$1 ] && find tests/fuzz/seeds/$1 -type f
  [ -d tests/fuzz/regressions/$1 ] && find tests/fuzz/regressions/$1 -type f
  true
}
# One target: its corpus, then its run; prints its summary, fails on a finding.
fuzz_one() {
  local t=$1 corpus=$B/corpus/$1 dict=tests/fuzz/$1.dict
  mkdir -p "$corpus"
  seeds $t | while read -r f; do cp "$f" "$corpus/"; done
  local args=(-rss_limit_mb=4096 -timeout=20 -artifact_prefix=$B/findings/$t- -print_final_stats=1)
  if [ -n "$SECONDS_EACH" ]; then args+=(-max_total_time="$SECONDS_EACH"); else args+=(-seed=1 -runs=10000); fi
  [ -f "$dict" ] && args+=(-dict="$dict")
  echo "fuzz_$t: $(ls "$corpus" | wc -l) seeds, ${SECONDS_EACH:-10000 inputs}${SECONDS_EACH:+ s}"
  if ! ASAN_OPTIONS=detect_leaks=0 $B/fuzz_$t "${args[@]}" "$corpus" > $B/fuzz_$t.log 2>&1; then
    grep -E "ERROR|runtime error|SUMMARY|what\(\)" $B/fuzz_$t.log | head -5
    echo "fuzz_$t: a finding; its input is in $B/findings/ (log: $B/fuzz_$t.log)"
    return 1
  fi
  grep -E "stat::number_of_executed_units|cov: " $B/fuzz_$t.log | tail -2 | tr '\n' ' '
  echo
}
# Two targets at a time (each runs on one core; a run's inputs depend on its seed alone), their
# summaries printed in order once all have run.
TARGETS=(safetensors npy torch_file onnx caffemodel image idx list run_config checkpoint serve)
status=0 running=0
for t in "${TARGETS[@]}"; do
  fuzz_one $t > $B/fuzz_$t.summary 2>&1 &
  running=$((running + 1))
  if [ $running -ge 2 ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
done
while [ $running -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done
for t in "${TARGETS[@]}"; do cat $B/fuzz_$t.summary; done
[ $status -eq 0 ] || exit 1
echo "fuzzing: no findings"
