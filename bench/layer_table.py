#!/usr/bin/env python3
"""Each layer of a network against the machine's limits: for batch sizes 1, 16 and 64, the
milliseconds per image `alexnet bench --layers` measures, the multiplies the layer's kernel really
performs (a Winograd layer's counted as its element-wise products: F(4x4,3x3) does 36 where a
direct 3x3 does 144, F(2x2,5x5) 36 where 5x5 does 100; transforms left out), the share of the FMA
peak that reaches, and for the fc layers the weights' bytes over the memory's read bandwidth
(build/peak), which bounds them at batch 1. A markdown table on stdout.

    python3 bench/layer_table.py [--arch alexnet-torchvision] [--reps 10] [--rounds 3]

The batch sizes alternate for --rounds rounds and each layer keeps its fastest round: this
machine's speed drifts by 20-30% from one minute to the next, which a single pass would read as
a difference between batch sizes.
"""
import argparse
import json
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")


def bench(arch, batch, reps):
    out = subprocess.run([os.path.join(BUILD, "alexnet"), "bench", "--arch", arch, "--batch", str(batch), "--reps",
                          str(reps), "--layers", "--json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def real_flops(layer):
    """The multiply-adds the kernel performs, x2: Winograd's element-wise products, else as counted."""
    f = layer["forward_gflops"]
    k = layer["kernel"]
    if k.startswith("winograd_4x3"):
        return f * 36 / 144
    if k.startswith("winograd_2x5"):
        return f * 36 / 100
    return f


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="alexnet-torchvision")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    peak = json.loads(subprocess.run([os.path.join(BUILD, "peak")], capture_output=True, text=True, check=True).stdout)
    fma = max(peak["fma_avx2_gflops"], peak["fma_avx512_gflops"])
    runs = {}
    for _ in range(a.rounds):
        for b in (1, 16, 64):
            r = bench(a.arch, b, a.reps)
            if b not in runs:
                runs[b] = r
                continue
            runs[b]["images_per_s"] = max(runs[b]["images_per_s"], r["images_per_s"])
            for kept, new in zip(runs[b]["layers"], r["layers"]):
                kept["forward_ms"] = min(kept["forward_ms"], new["forward_ms"])
    print(f"{a.arch}: FMA peak {fma:.0f} GFLOP/s, memory read {peak['read_gbs']:.1f} GB/s, {peak['threads']} threads\n")
    print("| layer | kernel | ms/image b1 | b16 | b64 | b16/b64 | b1/b64 | real GFLOP/s b64 (share of peak) | b1 bound by bytes |")
    print("|---|---|---|---|---|---|---|---|---|")
    for i, layer in enumerate(runs[64]["layers"]):
        if layer["forward_gflops"] == 0:
            continue
        per = {b: runs[b]["layers"][i]["forward_ms"] / b for b in runs}
        rate = real_flops(layer) / (runs[64]["layers"][i]["forward_ms"] / 1e3)
        bound = ""
        if layer["layer"].startswith("fc"):
            weights = layer["forward_gflops"] / 64 / 2 * 1e9 * 4  # [out, in] floats
            bound = f"{weights / 1e6:.0f} MB: {weights / peak['read_gbs'] / 1e6:.2f} ms"
        kernel = layer["kernel"].split(" ")[0]
        print(f"| {layer['layer']} | {kernel} | {per[1]:.2f} | {per[16]:.2f} | {per[64]:.2f} | {per[16] / per[64]:.2f} | "
              f"{per[1] / per[64]:.2f} | {rate:.0f} ({rate / fma:.0%}) | {bound} |")
    for b in runs:
        print(f"\nbatch {b}: {runs[b]['images_per_s']:.1f} images/s", end="")
    print()


if __name__ == "__main__":
    main()
