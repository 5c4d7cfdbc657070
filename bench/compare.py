#!/usr/bin/python3
"""Side by side: `alexnet bench` against PyTorch (bench/torch_peer.py) and, for inference,
ONNX Runtime (bench/ort_peer.js), on the same networks, batches, modes and threads, in one
run, alternating (ours, PyTorch, ONNX Runtime, ours, ...) so that all see the same machine,
each in a fresh process. Prints a Markdown table of images/s (median and min-max over the
rounds) and ratios of the medians, for two dispatches:

  native  every program as it runs on this CPU (AVX-512 where there is one)
  avx2    ours and PyTorch limited to AVX2 (ONEDNN_MAX_CPU_ISA=AVX2, ATEN_CPU_CAPABILITY=avx2,
          OPENBLAS_CORETYPE=Haswell): the kernels of the AVX2 laptops and Zen 2/3 servers.
          ONNX Runtime's MLAS has no such switch: its column stays native, and says so.

Peers at their best: PyTorch must run on an optimised BLAS (the reference libblas.so.3 makes
it ~4x slower); the script measures it and refuses otherwise. On CPUs with AVX-512 it also
tries OPENBLAS_CORETYPE=SkylakeX and keeps it where it is faster and computes correctly. For
the 2012 net ONNX Runtime runs both its own LRN op and torch's decomposition, and the faster
counts. Above the table: the machine's FMA peak and oneDNN's SGEMM rate (build/peak).

Setup: `WITH_TORCH=1 tools/setup.sh` (PyTorch, OpenBLAS, onnx), `cd bench &&
ONNXRUNTIME_NODE_INSTALL_CUDA=skip ONNXRUNTIME_NODE_INSTALL=skip npm install`, and
`/usr/bin/python3 bench/export_onnx.py` once.

    /usr/bin/python3 bench/compare.py                 # the table of docs/performance.md
    /usr/bin/python3 bench/compare.py --quick         # a few configurations, one round
    /usr/bin/python3 bench/compare.py --configs alexnet:train:128 --isa avx2
"""
import argparse, datetime, json, os, statistics, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
DEFAULT = ["alexnet-torchvision:infer:1", "alexnet-torchvision:infer:16", "alexnet-torchvision:infer:64",
           "alexnet:infer:1", "alexnet:infer:64",
           "alexnet-torchvision:train:128", "alexnet:train:128", "alexnet-mini:train:128"]
QUICK = ["alexnet-torchvision:infer:64", "alexnet:infer:64", "alexnet-mini:train:128"]
AVX2_ENV = {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2", "OPENBLAS_CORETYPE": "Haswell"}


def reps_for(arch, mode, batch):
    heavy = arch != "alexnet-mini" and (mode == "train" or batch >= 64)
    return (1, 3) if heavy else (2, 7)


def run_json(cmd, env=None):
    e = dict(os.environ)
    e.update(env or {})
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=e).stdout
    return json.loads(out.strip().splitlines()[-1])


def torch_env(cpu_flags):
    """The PyTorch environment for native dispatch, or exit with one line saying what to fix."""
    peer = ["/usr/bin/python3", os.path.join(HERE, "torch_peer.py"), "--check-blas"]
    base = run_json(peer)
    if "/blas/" in base["blas"] or base["gflops"] < 20:
        sys.exit(f"error: PyTorch runs on the reference BLAS ({base['blas']}, {base['gflops']:.1f} GFLOP/s on a "
                 "1024^3 matmul): not a peer at its best; install OpenBLAS (apt-get install libopenblas0, or "
                 "WITH_TORCH=1 tools/setup.sh) so that libblas.so.3 points at it")
    best, env = base, {}
    if "avx512f" in cpu_flags:
        alt = run_json(peer, {"OPENBLAS_CORETYPE": "SkylakeX"})
        if alt["max_error"] < 1e-3 and alt["gflops"] > best["gflops"]:
            best, env = alt, {"OPENBLAS_CORETYPE": "SkylakeX"}
    return env, best


def machine():
    flags, cpu = "", "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("flags") and not flags:
            flags = line
        if line.startswith("model name") and cpu == "?":
            cpu = line.split(":", 1)[1].strip()
    return cpu, flags.split()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "alexnet"))
    ap.add_argument("--peak", default=os.path.join(ROOT, "build", "peak"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--configs", nargs="*")
    ap.add_argument("--isa", default="native,avx2", help="native, avx2 or both")
    args = ap.parse_args()
    configs = args.configs or (QUICK if args.quick else DEFAULT)
    rounds = 1 if args.quick else args.rounds
    isas = args.isa.split(",")
    cpu, flags = machine()
    have_ort = (os.path.isdir(os.path.join(HERE, "node_modules", "onnxruntime-node"))
                and os.path.isdir(os.path.join(HERE, "onnx")))
    torch_native, blas = torch_env(flags)
    thr = {"OMP_NUM_THREADS": str(args.threads)}
    peak = {isa: run_json([args.peak], {**thr, **(AVX2_ENV if isa == "avx2" else {})}) for isa in isas}

    rows = []
    for cfg in configs:
        arch, mode, batch = cfg.split(":")
        warm, reps = reps_for(arch, mode, int(batch))
        common = ["--arch", arch, "--mode", mode, "--batch", batch, "--threads", str(args.threads),
                  "--reps", str(reps), "--warmup", str(warm)]
        classes = ["--classes", "10"] if arch == "alexnet-mini" else []
        ort_graphs = (["alexnet", "alexnet-lrnop"] if arch == "alexnet" else [arch]) if have_ort and mode == "infer" else []
        res = {k: [] for k in ["ours_native", "ours_avx2", "torch_native", "torch_avx2", "ort", "mem_ours", "mem_torch", "mem_ort"]}
        for _ in range(rounds):
            for isa in isas:
                env = AVX2_ENV if isa == "avx2" else {}
                o = run_json([args.binary, "bench", "--json"] + common + classes, env)
                p = run_json(["/usr/bin/python3", os.path.join(HERE, "torch_peer.py")] + common,
                             env if isa == "avx2" else torch_native)
                res["ours_" + isa].append(o["images_per_s"])
                res["torch_" + isa].append(p["images_per_s"])
                if isa == isas[0]:
                    res["mem_ours"].append(o["peak_rss_mb"]), res["mem_torch"].append(p["peak_rss_mb"])
                print(f"  {cfg} {isa}: ours {o['images_per_s']:.1f}, PyTorch {p['images_per_s']:.1f} img/s",
                      file=sys.stderr, flush=True)
            if ort_graphs:
                best = max((run_json(["node", os.path.join(HERE, "ort_peer.js"), "--arch", g, "--batch", batch,
                                      "--threads", str(args.threads), "--reps", str(reps), "--warmup", str(warm)])
                            for g in ort_graphs), key=lambda r: r["images_per_s"])
                res["ort"].append(best["images_per_s"]), res["mem_ort"].append(best["peak_rss_mb"])
                print(f"  {cfg}: ONNX Runtime {best['images_per_s']:.1f} img/s ({best['arch']})", file=sys.stderr, flush=True)
        rows.append((arch, mode, batch, res))

    print(f"{datetime.date.today()}, {cpu}, {os.cpu_count()} cores, {args.threads} threads, {rounds} alternating "
          f"rounds. PyTorch {blas['torch']} on {os.path.basename(blas['blas'])} "
          f"({blas['gflops']:.0f} GFLOP/s matmul, OPENBLAS_CORETYPE={torch_native.get('OPENBLAS_CORETYPE', blas['coretype']) or 'unset'}); "
          f"ONNX Runtime {ort_version()} CPU EP, graph optimisation all (native ISA only).")
    for isa in isas:
        pk = peak[isa]
        fma = pk["fma_avx512_gflops"] if isa == "native" and pk["fma_avx512_gflops"] else pk["fma_avx2_gflops"]
        print(f"- {isa}: FMA peak {fma:.0f} GFLOP/s, oneDNN SGEMM {pk['sgemm_gflops']:.0f} GFLOP/s")
    print()
    med = lambda v: statistics.median(v) if v else None
    cell = lambda v: f"{med(v):.1f} ({min(v):.1f}-{max(v):.1f})" if v else "–"
    ratio = lambda a, b: f"**{med(a) / med(b):.2f}x**" if a and b else "–"
    head = "| network | mode | batch |"
    for isa in isas:
        head += f" ours {isa} | PyTorch {isa} | ratio |"
    head += " ONNX Runtime (native) | ratio native | ratio avx2 | peak RSS MB ours / PyTorch / ORT |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for arch, mode, batch, r in rows:
        line = f"| {arch} | {mode} | {batch} |"
        for isa in isas:
            line += f" {cell(r['ours_' + isa])} | {cell(r['torch_' + isa])} | {ratio(r['ours_' + isa], r['torch_' + isa])} |"
        mem = f"{max(r['mem_ours']):.0f} / {max(r['mem_torch']):.0f} / " + (f"{max(r['mem_ort']):.0f}" if r["mem_ort"] else "–")
        line += (f" {cell(r['ort'])} | {ratio(r.get('ours_native'), r['ort'])} | {ratio(r.get('ours_avx2'), r['ort'])} | {mem} |")
        print(line)


def ort_version():
    try:
        return json.load(open(os.path.join(HERE, "node_modules", "onnxruntime-node", "package.json")))["version"]
    except OSError:
        return "(not installed)"


if __name__ == "__main__":
    main()
