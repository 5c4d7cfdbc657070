#!/usr/bin/env bash
# 1 process against 2 MPI ranks on this machine, data-parallel and hybrid: images/s, bytes a
# rank sends a step, time spent waiting for the allreduce. alexnet-mini on Fashion-MNIST (2 epochs on 15,360 images),
# and alexnet on synthetic 256x256 JPEGs (one epoch of 4 steps of 128).
set -euo pipefail
cd "$(dirname "$0")/.."
A=$PWD/build/alexnet
T=${TMPDIR:-/tmp}/alexnet-mpi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
[ -d "$T/jpeg256" ] || build/make_images "$T/jpeg256" 512 256 256 >/dev/null
report() {  # the last epoch line of a run's metrics
  python3 -c "import json,sys; r=[json.loads(l) for l in open(sys.argv[1]) if '\"epoch\"' in l and '\"type\":\"epoch\"' in l][-1]; \
print(f\"{sys.argv[2]:<40} {r['images_per_s']:8.1f} img/s  allreduce {r.get('allreduce_seconds',0):6.2f} s/epoch  {r.get('bytes_sent_per_step',0)/1e6:7.1f} MB sent/step\")" "$1" "$2"
}
run() {  # name, ranks, threads, train args...
  local name=$1 np=$2 th=$3; shift 3
  rm -rf "$T/$name"
  if [ "$np" = 1 ]; then $A train "$@" --threads "$th" --out "$T/$name" --print-every 0 >/dev/null
  else mpirun --oversubscribe -np "$np" $A train "$@" --threads "$th" --out "$T/$name" --print-every 0 >/dev/null; fi
  report "$T/$name/metrics.jsonl" "$name ($np x $th threads)"
}
MINI="--arch alexnet-mini --data /usr/share/datasets/fashion-mnist --epochs 2 --limit 15360 --val-limit 2000"
run mini-1 1 2 $MINI
run mini-2 2 1 $MINI --parallel data
run mini-2-hybrid 2 1 $MINI --parallel hybrid
BIG="--arch alexnet --data $T/jpeg256 --epochs 1 --batch 128 --workers 1"
run alexnet-1 1 2 $BIG
run alexnet-2 2 1 $BIG --parallel data
run alexnet-2-hybrid 2 1 $BIG --parallel hybrid
