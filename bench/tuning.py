#!/usr/bin/env python3
"""Kernels chosen by measuring (kernels/tuning.hpp) against the table's choices, on this machine.

1. What tuning costs on first use: `alexnet tune` per architecture from an empty cache, each
   inference batch size and training's, in seconds, and what it adds to setting up with the
   table's kernels (building the network and its primitives, initialising the weights).
2. Whether it pays: `alexnet bench` with the measured choices (cached) and with the table's
   (ALEXNET_TUNE=off), alternated ROUNDS times, each case's median images/s and their ratio.

Run it alone (it times), from the repository, after a release build:
    python3 bench/tuning.py [--rounds 2] [--isa AVX2]
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "build", "alexnet")
CASES = [  # (arch, mode, batch, reps)
    ("alexnet-torchvision", "infer", 1, 20), ("alexnet-torchvision", "infer", 16, 8),
    ("alexnet-torchvision", "infer", 64, 4), ("alexnet", "infer", 64, 4),
    ("alexnet-torchvision", "train", 128, 2), ("alexnet-mini", "train", 128, 20),
]


def run(args, env):
    r = subprocess.run([BINARY, *map(str, args)], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise SystemExit(f"alexnet {' '.join(map(str, args))}: {r.stderr.strip()}")
    return r.stdout


def setup_seconds(arch, env):
    """{(mode, batch): seconds} of `alexnet tune` for one architecture."""
    out = run(["tune", "--arch", arch], env)
    times = {}
    for line in out.splitlines():  # "alexnet infer batch 16: 5.0 s"
        if " batch " in line and line.endswith(" s"):
            words = line.replace(":", "").split()
            times[(words[1], int(words[3]))] = float(words[4])
    return times


def first_use(tuned, table):
    print("first use: seconds to set a network up, measuring (empty cache) and with the table's kernels")
    for arch in ("alexnet-mini", "alexnet", "alexnet-torchvision"):
        base, measured = setup_seconds(arch, table), setup_seconds(arch, tuned)
        cells = [f"{m} b{b} {measured[(m, b)]:.1f} s (+{measured[(m, b)] - base[(m, b)]:.1f})" for m, b in measured]
        print(f"  {arch}: " + "; ".join(cells))


def images_per_s(arch, mode, batch, reps, env):
    classes = 10 if arch == "alexnet-mini" else 1000
    out = run(["bench", "--arch", arch, "--mode", mode, "--batch", batch, "--reps", reps, "--warmup", 1,
               "--classes", classes, "--json"], env)
    return json.loads(out)["images_per_s"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--isa", help="ONEDNN_MAX_CPU_ISA for every run (e.g. AVX2)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        tuned = dict(os.environ, XDG_CACHE_HOME=cache, ALEXNET_TUNE="on")
        if a.isa:
            tuned["ONEDNN_MAX_CPU_ISA"] = a.isa
        table = dict(tuned, ALEXNET_TUNE="off")
        first_use(tuned, table)
        print(f"\nmeasured against the table, images/s, medians of {a.rounds} alternated rounds")
        print(f"  {'case':34} {'measured':>9} {'table':>9} {'ratio':>6}")
        for arch, mode, batch, reps in CASES:
            got = {"measured": [], "table": []}
            for _ in range(a.rounds):
                got["measured"].append(images_per_s(arch, mode, batch, reps, tuned))
                got["table"].append(images_per_s(arch, mode, batch, reps, table))
            m, t = statistics.median(got["measured"]), statistics.median(got["table"])
            print(f"  {arch + ' ' + mode + ' b' + str(batch):34} {m:9.1f} {t:9.1f} {m / t:6.2f}")


if __name__ == "__main__":
    main()
