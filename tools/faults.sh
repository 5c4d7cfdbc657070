#!/usr/bin/env bash
# Faults a real machine has, injected into short runs of alexnet-mini on Fashion-MNIST (Debian's
# dataset-fashion-mnist), each checked and printed as a Markdown table row:
#   disk full     a small tmpfs fills while a checkpoint, the best weights, the events file or
#                 convert's output is written: a one-line error, a non-zero exit, the previous
#                 files intact, and --resume finishing once there is room
#   kill -9       at KILLS random moments (default 50) of one run, each time resumed: the final
#                 weights and momenta bit-identical to an uninterrupted run's
#   files vanish  a folder data set loses files and has others overwritten mid-epoch: skipped
#                 and counted; under --strict a one-line error naming the file
#   memory limit  `ulimit -v` too small for the network: a one-line error, no crash, no hang
# Needs root for the tmpfs (mount). usage: tools/faults.sh [KILLS] [SEED]   (after building)
set -uo pipefail
cd "$(dirname "$0")/.."
A=$PWD/build/alexnet
DATA=/usr/share/datasets/fashion-mnist
KILLS=${1:-50}
RANDOM=${2:-1}
W=$(mktemp -d /tmp/alexnet-faults.XXXXXX)
MNT=$W/small-disk
cleanup() { mountpoint -q "$MNT" && umount "$MNT"; rm -rf "$W"; }
trap cleanup EXIT INT TERM
FAILED=0
row() { echo "| $1 | $2 | $3 |"; [ "$3" = ok ] || FAILED=1; }
lines() { grep -c . "$1"; }
TRAIN=(train --arch alexnet-mini --data "$DATA" --limit 3000 --epochs 3 --threads 2)

echo "| fault | what happened | verdict |"
echo "|---|---|---|"

# ---- disk full -------------------------------------------------------------------------------
# A checkpoint is 4.4 MB, the best weights 2.2 MB, and each is written beside the old one before
# it replaces it: tmpfs sizes from 2 to 9 MB run out at different files. Whatever the run had
# written before must stay readable, and --resume must finish once there is room.
mkdir -p "$MNT"
for size in 2 5 7 9; do
  mount -t tmpfs -o size=${size}m tmpfs "$MNT"
  $A "${TRAIN[@]}" --out "$MNT/run" > "$W/full.out" 2> "$W/full.err"
  rc=$?
  ok=ok
  [ $rc -ne 0 ] && [ "$(lines "$W/full.err")" -eq 1 ] || ok="exit $rc, stderr: $(head -c 300 "$W/full.err")"
  if [ -f "$MNT/run/best.safetensors" ]; then
    $A eval --weights "$MNT/run/best.safetensors" --data "$DATA" > /dev/null 2>&1 || ok="best weights unreadable after the failure"
  fi
  ls -a "$MNT/run" 2>/dev/null | grep -q '\.tmp' && ok="a temporary file was left: $(ls -a "$MNT/run")"
  mount -o remount,size=64m "$MNT"
  if [ -f "$MNT/run/checkpoint.safetensors" ]; then $A train --resume "$MNT/run" > "$W/resume.out" 2>&1
  else rm -rf "$MNT/run"; $A "${TRAIN[@]}" --out "$MNT/run" > "$W/resume.out" 2>&1; fi
  grep -q '^done' "$W/resume.out" || ok="no finished run once there was room: $(tail -2 "$W/resume.out")"
  row "disk full during training (${size} MB tmpfs), then room again" \
    "exit $rc: \`$(head -1 "$W/full.err" | sed "s|$MNT/||")\`; then $(grep -q 'resuming' "$W/resume.out" && echo '--resume' || echo 'a new run') finished" "$ok"
  umount "$MNT"
done
# Another program fills the disk mid-run: whatever the run writes next (the metrics log, the
# events file, a checkpoint) finds no room.
mount -t tmpfs -o size=64m tmpfs "$MNT"
$A "${TRAIN[@]}" --checkpoint-every 5 --out "$MNT/run" > "$W/full.out" 2> "$W/full.err" &
pid=$!
while [ ! -f "$MNT/run/checkpoint.safetensors" ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done
dd if=/dev/zero of="$MNT/filler" bs=1M > /dev/null 2>&1
wait $pid
rc=$?
ok=ok
[ $rc -ne 0 ] && [ "$(lines "$W/full.err")" -eq 1 ] || ok="exit $rc, stderr: $(head -c 300 "$W/full.err")"
rm "$MNT/filler"
$A train --resume "$MNT/run" > "$W/resume.out" 2>&1
grep -q '^done' "$W/resume.out" || ok="--resume did not finish: $(tail -2 "$W/resume.out")"
row "another program fills the disk mid-run, then frees it" \
  "exit $rc: \`$(head -1 "$W/full.err" | sed "s|$MNT/||")\`; then --resume finished" "$ok"
umount "$MNT"
mount -t tmpfs -o size=1m tmpfs "$MNT"
$A train --arch alexnet-mini --data "$DATA" --limit 600 --epochs 1 --threads 2 --out "$W/small" > /dev/null 2>&1
$A convert "$W/small/best.safetensors" "$MNT/small.onnx" > /dev/null 2> "$W/conv.err"
rc=$?
ok=ok
[ $rc -ne 0 ] && [ "$(lines "$W/conv.err")" -eq 1 ] && [ -z "$(ls -A "$MNT")" ] || ok="exit $rc, left: $(ls -A "$MNT"), $(head -c 200 "$W/conv.err")"
row "disk full during convert (1 MB tmpfs, 2.2 MB output)" "exit $rc: \`$(head -1 "$W/conv.err")\`" "$ok"
umount "$MNT"

# ---- kill -9 at random moments ---------------------------------------------------------------
KILLRUN=(train --arch alexnet-mini --data "$DATA" --limit 6000 --epochs 3 --threads 2 --checkpoint-every 7)
start=$(date +%s.%N)
$A "${KILLRUN[@]}" --out "$W/ref" > /dev/null 2>&1 || { row "kill -9" "the reference run failed" failed; exit 1; }
ref_s=$(echo "$(date +%s.%N) - $start" | bc)
# Every tensor (weights, momenta) byte for byte, and the training state but for the log's length
# (metrics.jsonl holds timings, whose digits vary).
same_tensors() {
  /usr/bin/python3 - "$1" "$2" <<'EOF'
import json, struct, sys
def load(p):
    b = open(p, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    meta = h.pop("__metadata__", {})
    state = json.loads(meta.get("train_state", "{}"))
    state.pop("log_bytes", None)
    return {k: b[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]] for k, v in h.items()}, state
(t1, s1), (t2, s2) = load(sys.argv[1]), load(sys.argv[2])
diff = [k for k in t1 if t1[k] != t2.get(k)] + (["train_state"] if s1 != s2 else [])
if diff:
    sys.exit("differs in " + ", ".join(diff[:5]))
EOF
}
kills=0 resumes=0 fresh=0 runs=0 same=ok
compare() {  # a finished run against the uninterrupted one
  runs=$((runs + 1))
  for f in checkpoint.safetensors best.safetensors; do
    d=$(same_tensors "$W/ref/$f" "$W/killed/$f" 2>&1) || same="run $runs: $f: $d"
  done
  rm -rf "$W/killed"
}
# Moments from start-up (about 1 s here) to 1.5 s into training: before, during and after the
# checkpoints (every 7 steps, 0.4 s), their writing included; a run that finishes before its
# next kill is compared and the next one starts afresh.
while [ $kills -lt "$KILLS" ]; do
  if [ -f "$W/killed/checkpoint.safetensors" ]; then
    $A train --resume "$W/killed" > /dev/null 2>&1 & resumes=$((resumes + 1))
  else
    rm -rf "$W/killed"; $A "${KILLRUN[@]}" --out "$W/killed" > /dev/null 2>&1 & fresh=$((fresh + 1))
  fi
  pid=$!
  sleep "$(echo "scale=3; $((RANDOM % 1000)) / 400" | bc)"
  if kill -0 $pid 2>/dev/null; then kill -9 $pid; kills=$((kills + 1)); fi
  wait $pid 2>/dev/null && compare
done
if [ -f "$W/killed/checkpoint.safetensors" ]; then $A train --resume "$W/killed" > /dev/null 2>&1; else $A "${KILLRUN[@]}" --out "$W/killed" > /dev/null 2>&1; fi
compare
row "kill -9 at $kills random moments (0-2.5 s after each start) of ${ref_s%.*} s runs" \
  "$fresh fresh starts (no checkpoint yet), $resumes resumes; $runs runs finished, each one's weights, momenta and training state equal to the uninterrupted run's byte for byte" "$same"

# ---- files that vanish or break mid-epoch ----------------------------------------------------
$A prepare "$DATA" "$W/folder" --split train --limit 3000 > /dev/null 2>&1
for strict in "" --strict; do
  rm -rf "$W/vanish"; cp -r "$W/folder" "$W/vanish"
  $A train --arch alexnet-mini --data "$W/vanish" --out "$W/vrun$strict" --epochs 2 --threads 2 $strict \
    > "$W/v.out" 2> "$W/v.err" &
  pid=$!
  sleep 2
  find "$W/vanish" -name '*.png' | sort | awk 'NR % 30 == 0' | xargs rm -f                 # 100 vanish
  find "$W/vanish" -name '*.png' | sort | awk 'NR % 30 == 1' | while read -r f; do echo garbage > "$f"; done
  wait $pid
  rc=$?
  if [ -z "$strict" ]; then
    n=$(grep -o '"skipped_files": *[0-9]*' "$W/vrun/metrics.jsonl" | awk -F: '{s += $2} END {print s + 0}')
    row "files removed and overwritten mid-run (folder data set)" "exit $rc, $n samples skipped and counted" \
      "$([ $rc -eq 0 ] && [ "$n" -gt 0 ] && echo ok || echo "failed: $(tail -3 "$W/v.err")")"
  else
    last=$(tail -1 "$W/v.err")
    row "… the same with --strict" "exit $rc: \`$last\`" \
      "$([ $rc -ne 0 ] && echo "$last" | grep -q 'vanish/' && echo ok || echo "failed: $(tail -3 "$W/v.err")")"
  fi
done

# ---- a memory limit too small ----------------------------------------------------------------
# Which allocation fails first varies from run to run (the loader's threads race the network's
# setup), so each is tried five times.
for spec in "1500000 train --arch alexnet --data $W/folder --out $W/big --epochs 1" \
            "300000 predict --weights $W/small/best.safetensors $W/folder/Bag/10.png"; do
  set -- $spec
  lim=$1; shift
  verdict=ok
  for try in 1 2 3 4 5; do
    rm -rf "$W/big"
    (ulimit -v "$lim"; timeout 120 $A "$@" > /dev/null 2> "$W/m.err")
    rc=$?
    [ $rc -ne 0 ] && [ $rc -lt 124 ] && [ "$(lines "$W/m.err")" -le 2 ] || { verdict="failed on try $try (exit $rc): $(tail -2 "$W/m.err")"; break; }
  done
  row "\`ulimit -v $((lim / 1000)) MB\`, $1 of ${3##*/}, 5 tries" "exit $rc: \`$(tail -1 "$W/m.err")\`" "$verdict"
done
exit $FAILED
