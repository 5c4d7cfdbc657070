#!/usr/bin/env bash
# The main job on the embedded default: train alexnet-mini on Fashion-MNIST (Debian's
# dataset-fashion-mnist) with the default recipe, choosing the weights on 5,000 training images
# held out for validation; then evaluate those weights once on the 10,000 test images, predict
# a few test images, and draw the pictures. Re-running it resumes or reuses the run.
# The training is planned to end within a time budget (14 minutes, with a 10% margin; the
# epochs that fit on this machine, at most the recipe's 40), so that it ends within 15 minutes
# on a 2-core AVX2 machine. The test is the paper's: 10 crops (docs/training.md says why).
set -euo pipefail
cd "$(dirname "$0")/.."
A=build/alexnet
DATA=/usr/share/datasets/fashion-mnist
RUN=${RUN:-runs/fashion-mnist}

if [ -f "$RUN/checkpoint.safetensors" ]; then
  $A train --resume "$RUN"          # finishes an interrupted run; a finished one returns at once
else
  $A train --arch alexnet-mini --data "$DATA" --out "$RUN" --time-budget "${TIME_BUDGET:-14m}"
fi
echo
echo "test split (10,000 images), evaluated once with the weights chosen on the validation split,"
echo "by the paper's test (the softmax averaged over 10 crops), then by the centre crop alone:"
$A eval --weights "$RUN/best.safetensors" --data "$DATA" --ten-crop
centre=$($A eval --weights "$RUN/best.safetensors" --data "$DATA")
printf '%s\n' "$centre" | sed -n 1,3p
$A prepare "$DATA" "$RUN/samples" --split test --limit 6 >/dev/null
$A predict --weights "$RUN/best.safetensors" --topk 3 "$RUN"/samples/*/*.png
$A plot "$RUN" --out "$RUN/curves.png" >/dev/null
$A filters --weights "$RUN/best.safetensors" --out "$RUN/filters.png" >/dev/null
echo
echo "pictures: $RUN/curves.png (training curves), $RUN/filters.png (conv1 kernels)"
echo "weights:  $RUN/best.safetensors   log: $RUN/metrics.jsonl"
