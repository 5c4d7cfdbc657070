#!/usr/bin/env python3
"""What the Python module costs over the engine: model(x) against `alexnet bench` on the same
network, batch and threads, with torchvision's alexnet() in the same process beside it as the
peer (the same weights: torchvision's state dict, saved as .pth and loaded by alexnet.load).

Run with the virtualenv the README's install makes (Debian's python3-torch, python3-torchvision
and OpenBLAS visible through --system-site-packages):

    .venv/bin/python bench/python_api.py [--threads 2] [--reps 30] [--rounds 3]

Prints, per batch: the median ms of `alexnet bench` and of model(x) (before torch has run in
this process) and the module's overhead over the engine; then torchvision's median, model(x)'s
again beside it, and torchvision's time as a multiple of the module's. Each block of repetitions
runs alone, after a pause, so that neither library's OpenMP threads still spin while the other
computes. Run it also with OMP_WAIT_POLICY=active (docs/python.md says why). Set ONEDNN_MAX_CPU_ISA=AVX2 to measure the AVX2 kernels (the
command inherits it).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BINARY = os.environ.get("ALEXNET_BINARY", os.path.join(HERE, "..", "build", "alexnet"))


def args_():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 64])
    ap.add_argument("--reps", type=int, default=30, help="timed calls per block")
    ap.add_argument("--rounds", type=int, default=3, help="blocks per contender (the median of their medians)")
    return ap.parse_args()


def median_ms(call, reps, warmup=3):
    for _ in range(warmup):
        call()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    time.sleep(0.5)  # let this library's OpenMP threads stop spinning before the next block
    return 1000 * statistics.median(times)


def command_ms(batch, threads, reps):
    out = subprocess.run([BINARY, "bench", "--arch", "alexnet-torchvision", "--mode", "infer", "--batch", str(batch),
                          "--threads", str(threads), "--reps", str(reps), "--warmup", "3", "--classes", "1000",
                          "--json"], check=True, capture_output=True, text=True).stdout
    return 1000 * json.loads(out.splitlines()[-1])["median_s"]


def check_blas():
    """Debian's torch runs on whatever libblas.so.3 is; the reference BLAS is no peer at its best."""
    lib = next((line.split()[-1] for line in open("/proc/self/maps") if "libblas.so" in line or "libopenblas" in line), "")
    if "openblas" not in os.path.realpath(lib):
        sys.exit(f"error: torch runs on {os.path.realpath(lib) or 'no BLAS found'}, not OpenBLAS: install "
                 "libopenblas0 (WITH_TORCH=1 tools/setup.sh) so that the peer runs at its best")
    return os.path.realpath(lib)


def main():
    a = args_()
    for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[v] = str(a.threads)
    import numpy as np
    import torch
    import torchvision
    import alexnet

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    peer = torchvision.models.alexnet().eval()
    blas = check_blas()
    with tempfile.TemporaryDirectory() as d:
        torch.save(peer.state_dict(), os.path.join(d, "tv.pth"))
        model = alexnet.load(os.path.join(d, "tv.pth"), threads=a.threads, arch="alexnet-torchvision")
    print(f"# {time.strftime('%Y-%m-%d')}, {os.uname().nodename}: {a.threads} threads, "
          f"ONEDNN_MAX_CPU_ISA={os.environ.get('ONEDNN_MAX_CPU_ISA', 'unset')}, torch {torch.__version__} "
          f"on {os.path.basename(blas)}, median of {a.reps} calls, median of {a.rounds} rounds")
    print(f"{'batch':>5} {'alexnet bench':>14} {'model(x)':>10} {'overhead':>9} | {'torchvision':>12}"
          f" {'model(x) after':>15} {'torch/ours':>10} {'max |diff|':>10}")
    inputs = {b: np.random.default_rng(b).standard_normal((b, 3, 224, 224), dtype=np.float32) for b in a.batches}
    # The module against the command, for every batch before torch computes anything here.
    cmd, ours = {b: [] for b in a.batches}, {b: [] for b in a.batches}
    for b, x in inputs.items():
        for _ in range(a.rounds):
            cmd[b].append(command_ms(b, a.threads, a.reps))
            ours[b].append(median_ms(lambda: model(x), a.reps))
    # Then torchvision beside it. Once torch has run, its OpenMP team and the module's are two
    # teams of libgomp in one process, and libgomp then shortens how long idle threads spin
    # (docs/python.md): the module is measured again, as "model(x) after".
    for b, x in inputs.items():
        xt = torch.from_numpy(x)
        with torch.no_grad():
            diff = float(np.abs(model(x) - peer(xt).numpy()).max())
            theirs, after = [], []
            for _ in range(a.rounds):
                theirs.append(median_ms(lambda: peer(xt), a.reps))
                after.append(median_ms(lambda: model(x), a.reps))
        c, o, t, o2 = (statistics.median(v) for v in (cmd[b], ours[b], theirs, after))
        print(f"{b:>5} {c:>11.2f} ms {o:>7.2f} ms {100 * (o / c - 1):>+8.1f}% | {t:>9.2f} ms {o2:>12.2f} ms"
              f" {t / o2:>9.2f}x {diff:>10.1e}", flush=True)


if __name__ == "__main__":
    main()
