#!/usr/bin/env bash
# Input pipeline throughput (images/s per worker thread) beside the rate at which training
# consumes images: (a) 256x256 JPEGs, (b) camera-sized 500x375 JPEGs through shorter-side-256,
# (c) Fashion-MNIST; then `alexnet bench --mode train` for alexnet and alexnet-mini.
set -euo pipefail
cd "$(dirname "$0")/.."
A=build/alexnet
T=${TMPDIR:-/tmp}/alexnet-pipeline
[ -d "$T/jpeg256" ] || build/make_images "$T/jpeg256" 1000 256 256 >/dev/null
[ -d "$T/jpeg500" ] || build/make_images "$T/jpeg500" 1000 500 375 >/dev/null
for w in 1 2; do
  $A bench --arch alexnet --data "$T/jpeg256" --workers $w --batch 64 --batches 12
  $A bench --arch alexnet --data "$T/jpeg500" --workers $w --batch 64 --batches 12
  $A bench --arch alexnet-mini --data /usr/share/datasets/fashion-mnist --workers $w --batch 128 --batches 100
done
$A bench --arch alexnet --mode train --batch 128 --reps 2 --warmup 1
$A bench --arch alexnet-mini --mode train --batch 128 --classes 10 --reps 20
