#!/usr/bin/env python3
"""Two builds of `alexnet serve` side by side: throughput of good requests, alternated.

The same random alexnet-torchvision weights and 500x375 JPEG as bench/serve.py; in each round
each build's server in turn takes 8 clients (kept-alive connections, then a new connection per
request) for --seconds. Rounds alternate which build goes first. Prints each build's median
images/s and the median of the rounds' own ratios (B / A): on a machine whose speed drifts by
a fifth from one minute to the next, only a ratio taken within a round means anything. Beside
it, the server's CPU time (user + system, all threads) per image: what the HTTP layer costs.

usage: bench/serve_ab.py --a OLD_BUILD --b NEW_BUILD [--rounds 6] [--seconds 8] [--clients 8]
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

import serve  # bench/serve.py: start_server, run_json


def load(build, port, image, clients, seconds, keep_alive):
    cmd = [f"{build}/serve_load", "load", "--port", str(port), "--image", image, "--clients", str(clients),
           "--seconds", str(seconds)] + (["--keep-alive"] if keep_alive else [])
    return serve.run_json(cmd, dict(os.environ))


def cpu_seconds(pid):
    """The server's user + system CPU time so far (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one(build, weights, image, clients, seconds):
    """{keep_alive: (images/s, server CPU ms per image)} for one server of this build."""
    serve.BUILD = build
    server, port = serve.start_server(weights, dict(os.environ))
    try:
        load(build, port, image, clients, 2, True)  # warm-up
        got = {}
        for ka in (True, False):
            cpu0 = cpu_seconds(server.pid)
            r = load(build, port, image, clients, seconds, ka)
            got[ka] = (r["images_per_s"], 1000 * (cpu_seconds(server.pid) - cpu0) / max(1, r["requests"]))
        return got
    finally:
        server.terminate()
        server.wait(timeout=60)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--a", required=True, help="build folder A (the baseline)")
    ap.add_argument("--b", required=True, help="build folder B")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--clients", type=int, default=8)
    a = ap.parse_args()
    builds = [os.path.abspath(a.a), os.path.abspath(a.b)]
    runs = {b: {True: [], False: []} for b in builds}
    cpu = {b: {True: [], False: []} for b in builds}
    ratios = {True: [], False: []}
    with tempfile.TemporaryDirectory(prefix="alexnet-serve-ab-") as tmp:
        weights = os.path.join(tmp, "tv.safetensors")
        subprocess.run([f"{builds[1]}/serve_load", "weights", "--arch", "alexnet-torchvision", "--out", weights],
                       check=True, capture_output=True)
        subprocess.run([f"{builds[1]}/make_images", os.path.join(tmp, "img"), "1", "500", "375", "1"], check=True,
                       capture_output=True)
        image = os.path.join(tmp, "img", "class0", "img0.jpg")
        for r in range(a.rounds):
            got = {}
            for b in (builds if r % 2 == 0 else builds[::-1]):
                got[b] = one(b, weights, image, a.clients, a.seconds)
                time.sleep(1)
            for ka in (True, False):
                for b in builds:
                    runs[b][ka].append(got[b][ka][0])
                    cpu[b][ka].append(got[b][ka][1])
                ratios[ka].append(got[builds[1]][ka][0] / got[builds[0]][ka][0])
    print(f"alexnet-torchvision, 500x375 JPEG, {a.clients} clients, {a.rounds} rounds of {a.seconds:g} s, "
          f"{os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')}\nA = {builds[0]}\nB = {builds[1]}\n")
    print("| connection | A images/s (median) | B images/s (median) | B / A, median of rounds | rounds' ratios | "
          "server CPU ms per image, A / B (median) |")
    print("|---|---|---|---|---|---|")
    for ka in (True, False):
        print(f"| {'keep-alive' if ka else 'new'} | {statistics.median(runs[builds[0]][ka]):.1f} | "
              f"{statistics.median(runs[builds[1]][ka]):.1f} | {statistics.median(ratios[ka]):.3f} | "
              f"{', '.join(f'{x:.2f}' for x in ratios[ka])} | {statistics.median(cpu[builds[0]][ka]):.2f} / "
              f"{statistics.median(cpu[builds[1]][ka]):.2f} |")


if __name__ == "__main__":
    main()
