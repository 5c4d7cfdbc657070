#!/usr/bin/env python3
"""`alexnet serve` under load, beside what it is measured against (issue: serve).

For each ISA (native, and oneDNN's AVX2 kernels): random alexnet-torchvision weights, a
500x375 camera-like JPEG, the server with --max-batch 16; 1 and 8 clients each sending the
image again and again (decoding included, over HTTP on 127.0.0.1; on one kept-alive connection
each, as browsers and HTTP libraries do, and on a new connection per request, as curl does); then `alexnet bench` at
batch 16 and batch 1 and the decode+preprocess time. Targets: 8 clients >= 0.7x bench's batch-16
images/s; 1 client p50 <= 1.3x (decode + batch-1 forward).

usage: bench/serve.py [--seconds 15] [--isa native,avx2] [--build DIR]  (after building; prints Markdown)
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")


def run_json(cmd, env):
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def start_server(weights, env):
    p = subprocess.Popen([f"{BUILD}/alexnet", "serve", "--weights", weights, "--port", "0", "--max-batch", "16"],
                         env=env, stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    m = re.search(r"127\.0\.0\.1:(\d+)/", line)
    if not m:
        p.kill()
        sys.exit(f"serve did not start: {line!r}")
    return p, int(m.group(1))


def measure(isa, weights, image, seconds):
    env = dict(os.environ)
    env.pop("ONEDNN_MAX_CPU_ISA", None)
    if isa == "avx2":
        env["ONEDNN_MAX_CPU_ISA"] = "AVX2"
    server, port = start_server(weights, env)
    load = f"{BUILD}/serve_load"
    runs = {}
    try:
        run_json([load, "load", "--port", str(port), "--image", image, "--clients", "8", "--seconds", "3"], env)  # warm-up
        for conn in ("keep-alive", "new"):
            for clients in (1, 8):
                time.sleep(2.5)  # the batcher's memory of recent load lasts 1-2 s
                cmd = [load, "load", "--port", str(port), "--image", image, "--clients", str(clients),
                       "--seconds", str(seconds)] + (["--keep-alive"] if conn == "keep-alive" else [])
                runs[(conn, clients)] = run_json(cmd, env)
    finally:
        server.terminate()
        server.wait(timeout=30)
    b16 = run_json([f"{BUILD}/alexnet", "bench", "--arch", "alexnet-torchvision", "--batch", "16", "--json"], env)
    b1 = run_json([f"{BUILD}/alexnet", "bench", "--arch", "alexnet-torchvision", "--batch", "1", "--reps", "20", "--json"], env)
    dec = run_json([load, "decode", "--image", image], env)
    return {"isa": isa, "runs": runs, "b16": b16["images_per_s"], "b1_ms": 1000 * b1["median_s"],
            "decode_ms": dec["decode_ms"]}


def main():
    global BUILD
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--isa", default="native,avx2")
    ap.add_argument("--build", default=BUILD, help="the build folder whose alexnet and serve_load run")
    a = ap.parse_args()
    BUILD = os.path.abspath(a.build)
    with tempfile.TemporaryDirectory(prefix="alexnet-serve-bench-") as tmp:  # 233 MB of weights
        weights = os.path.join(tmp, "tv.safetensors")
        subprocess.run([f"{BUILD}/serve_load", "weights", "--arch", "alexnet-torchvision", "--out", weights], check=True,
                       capture_output=True)
        subprocess.run([f"{BUILD}/make_images", os.path.join(tmp, "img"), "1", "500", "375", "1"], check=True,
                       capture_output=True)
        image = os.path.join(tmp, "img", "class0", "img0.jpg")
        rows = [measure(isa, weights, image, a.seconds) for isa in a.isa.split(",")]
    print(f"alexnet-torchvision, 500x375 JPEG, --max-batch 16, {os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')}\n")
    print("| ISA | connection | clients | images/s | p50 ms | p99 ms | reference | ratio (target) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        single = r["decode_ms"] + r["b1_ms"]
        for (conn, clients), m in r["runs"].items():
            if clients == 1:
                ref = f"decode {r['decode_ms']:.1f} + batch-1 forward {r['b1_ms']:.1f} ms"
                ratio = f"p50 {m['p50_ms'] / single:.2f}x (<= 1.3x)"
            else:
                ref = f"bench --batch 16: {r['b16']:.1f} images/s"
                ratio = f"{m['images_per_s'] / r['b16']:.2f}x (>= 0.7x)"
            fails = f" ({m['failures']} failed)" if m["failures"] else ""
            print(f"| {r['isa']} | {conn} | {clients} | {m['images_per_s']:.1f}{fails} | {m['p50_ms']:.1f} | "
                  f"{m['p99_ms']:.1f} | {ref} | {ratio} |")

if __name__ == "__main__":
    main()
