#!/usr/bin/python3
"""Side by side: `alexnet bench` against PyTorch (bench/torch_peer.py) and, for inference when
it is installed, ONNX Runtime (bench/ort_peer.js), on the same networks, batches, modes and
threads, alternating runs (ours, PyTorch, ONNX Runtime, ours, ...) so that all see the same
machine, each in a fresh process. Prints a Markdown table of images/s (median and min-max over
the rounds) and the ratios of the medians.

ONNX Runtime: `cd bench && ONNXRUNTIME_NODE_INSTALL_CUDA=skip ONNXRUNTIME_NODE_INSTALL=skip npm install`
and `/usr/bin/python3 bench/export_onnx.py` once.

    /usr/bin/python3 bench/compare.py                 # the README's table (about 25 minutes)
    /usr/bin/python3 bench/compare.py --quick         # a few configurations, one round
    /usr/bin/python3 bench/compare.py --configs alexnet:train:128 alexnet-mini:train:128
"""
import argparse, datetime, json, os, platform, statistics, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
DEFAULT = ["alexnet-torchvision:infer:1", "alexnet-torchvision:infer:16", "alexnet-torchvision:infer:64",
           "alexnet:infer:1", "alexnet:infer:16", "alexnet:infer:64",
           "alexnet-torchvision:train:128", "alexnet:train:128",
           "alexnet-mini:train:128", "alexnet-mini:infer:128"]
QUICK = ["alexnet-torchvision:infer:64", "alexnet:infer:64", "alexnet-mini:train:128"]


def reps_for(arch, mode, batch):
    heavy = arch != "alexnet-mini" and (mode == "train" or batch >= 64)
    return (1, 3) if heavy else (2, 7)


def run_json(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "alexnet"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--configs", nargs="*")
    args = ap.parse_args()
    configs = args.configs or (QUICK if args.quick else DEFAULT)
    rounds = 1 if args.quick else args.rounds
    have_ort = (os.path.isdir(os.path.join(HERE, "node_modules", "onnxruntime-node"))
                and os.path.isdir(os.path.join(HERE, "onnx")))
    rows = []
    for cfg in configs:
        arch, mode, batch = cfg.split(":")
        warm, reps = reps_for(arch, mode, int(batch))
        common = ["--arch", arch, "--mode", mode, "--batch", batch, "--threads", str(args.threads),
                  "--reps", str(reps), "--warmup", str(warm)]
        classes = ["--classes", "10"] if arch == "alexnet-mini" else []
        ours, peer, ort, ours_mem, peer_mem = [], [], [], [], []
        use_ort = have_ort and mode == "infer"
        for _ in range(rounds):
            o = run_json([args.binary, "bench", "--json"] + common + classes)
            p = run_json(["/usr/bin/python3", os.path.join(HERE, "torch_peer.py")] + common)
            ours.append(o["images_per_s"]); ours_mem.append(o["peak_rss_mb"])
            peer.append(p["images_per_s"]); peer_mem.append(p["peak_rss_mb"])
            line = f"  {cfg}: ours {o['images_per_s']:.1f} img/s, PyTorch {p['images_per_s']:.1f} img/s"
            if use_ort:
                r = run_json(["node", os.path.join(HERE, "ort_peer.js"), "--arch", arch, "--batch", batch,
                              "--threads", str(args.threads), "--reps", str(reps), "--warmup", str(warm)])
                ort.append(r["images_per_s"])
                line += f", ONNX Runtime {r['images_per_s']:.1f} img/s"
            print(line, file=sys.stderr, flush=True)
        rows.append((arch, mode, batch, ours, peer, ort, max(ours_mem), max(peer_mem)))

    cpu = "?"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"{datetime.date.today()}, {cpu}, {os.cpu_count()} cores, {args.threads} threads, "
          f"{rounds} alternating rounds; PyTorch {run_json(['/usr/bin/python3', os.path.join(HERE, 'torch_peer.py'), '--arch', 'alexnet-mini', '--reps', '1', '--warmup', '0', '--batch', '1'])['torch']}\n")
    print("| network | mode | batch | alexnet img/s (min-max) | PyTorch img/s (min-max) | ratio | "
          "ONNX Runtime img/s (min-max) | ratio | peak RSS MB ours / PyTorch |")
    print("|---|---|---|---|---|---|---|---|---|")
    for arch, mode, batch, o, p, r, om, pm in rows:
        mo, mp = statistics.median(o), statistics.median(p)
        ort_cells = (f"{statistics.median(r):.1f} ({min(r):.1f}-{max(r):.1f}) | **{mo / statistics.median(r):.2f}x**"
                     if r else "– | –")
        print(f"| {arch} | {mode} | {batch} | {mo:.1f} ({min(o):.1f}-{max(o):.1f}) | {mp:.1f} ({min(p):.1f}-{max(p):.1f}) "
              f"| **{mo / mp:.2f}x** | {ort_cells} | {om:.0f} / {pm:.0f} |")


if __name__ == "__main__":
    main()
