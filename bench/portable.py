#!/usr/bin/python3
"""The portable build against one built for this machine alone (-DALEXNET_NATIVE=ON), on every
case of bench/compare.py, with every instruction set this CPU has (native, and AVX2 held by
ONEDNN_MAX_CPU_ISA=AVX2 where there is AVX-512), alternating the two binaries round by round,
each run in a fresh process. Prints a Markdown table: images/s of each (median of the rounds),
the ratio of those medians, and the median of each round's own ratio (the two runs of a round
are neighbours in time, so a machine that drifts between rounds moves both).

    cmake -S . -B build-native -DCMAKE_BUILD_TYPE=Release -DALEXNET_NATIVE=ON
    cmake --build build-native -j2 --target alexnet
    /usr/bin/python3 bench/portable.py [--rounds 5] [--configs alexnet:infer:64 ...]
"""
import argparse, datetime, os, statistics, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import DEFAULT, reps_for, run_json  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--portable", default=os.path.join(ROOT, "build", "alexnet"))
    ap.add_argument("--native", default=os.path.join(ROOT, "build-native", "alexnet"))
    ap.add_argument("--configs", nargs="*", default=DEFAULT)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    for b in (args.portable, args.native):
        if not os.access(b, os.X_OK):
            sys.exit(f"error: {b}: no such binary (see this script's docstring)")
    flags = open("/proc/cpuinfo").read()
    isas = ["native", "avx2"] if "avx512f" in flags else ["native"]
    cpu = next(l.split(":", 1)[1].strip() for l in flags.splitlines() if l.startswith("model name"))
    rows = []
    for cfg in args.configs:
        arch, mode, batch = cfg.split(":")
        warm, reps = reps_for(arch, mode, int(batch))
        cmd = ["bench", "--json", "--arch", arch, "--mode", mode, "--batch", batch, "--threads", str(args.threads),
               "--reps", str(reps), "--warmup", str(warm)] + (["--classes", "10"] if arch == "alexnet-mini" else [])
        for isa in isas:
            env = {"ONEDNN_MAX_CPU_ISA": "AVX2"} if isa == "avx2" else {}
            got = {"portable": [], "native": []}
            for r in range(args.rounds):
                order = ["portable", "native"] if r % 2 == 0 else ["native", "portable"]
                for which in order:
                    got[which].append(run_json([getattr(args, which)] + cmd, env)["images_per_s"])
                print(f"  {cfg} {isa} round {r + 1}: portable {got['portable'][-1]:.1f}, native {got['native'][-1]:.1f}",
                      file=sys.stderr, flush=True)
            p, n = statistics.median(got["portable"]), statistics.median(got["native"])
            paired = statistics.median(a / b for a, b in zip(got["portable"], got["native"]))
            rows.append((arch, mode, batch, isa, p, n, min(got["portable"]), max(got["portable"]), paired))
    print(f"{datetime.date.today()}, {cpu}, {os.cpu_count()} cores, {args.threads} threads, {args.rounds} alternating rounds\n")
    print("| network | mode | batch | dispatch | portable img/s | native img/s | portable / native | per round |")
    print("|---|---|---|---|---|---|---|---|")
    for arch, mode, batch, isa, p, n, lo, hi, paired in rows:
        print(f"| {arch} | {mode} | {batch} | {isa} | {p:.1f} ({lo:.1f}-{hi:.1f}) | {n:.1f} | {p / n:.3f} | {paired:.3f} |")


if __name__ == "__main__":
    main()
