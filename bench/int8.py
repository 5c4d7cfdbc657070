#!/usr/bin/python3
"""int8 against f32, the same weights, on this machine (`alexnet bench --weights`), and against
ONNX Runtime running the same int8 weights as the QDQ graph `alexnet convert` writes.

For alexnet-torchvision and alexnet: random f32 weights (He-normal, written as safetensors
here, no download), quantized by `alexnet quantize` on 100 Fashion-MNIST training images (their
accuracy means nothing; their speed is what is measured), then `alexnet bench --weights` on
the f32 file and the int8 file, and ONNX Runtime (bench/ort_peer.js, 2 threads, all graph
optimisations) on the int8 file's QDQ graph, alternated ROUNDS times, at batch 1, 16 and 64:
each case's median images/s and the ratios. Kernels as the cache (or ALEXNET_TUNE) has them.
Which fused int8 operators ONNX Runtime made of the graph is printed first (its optimised
graph, read back): a QDQ graph it did not fuse would run in f32 and flatter us.

Run it alone (it times), from the repository, after a release build:
    /usr/bin/python3 bench/int8.py [--rounds 3] [--isa AVX2]   (Debian's python3, for numpy)
"""
import argparse
import json
import os
import statistics
import struct
import subprocess
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "build", "alexnet")
CALIB = "/usr/share/datasets/fashion-mnist"
REPS = {1: 20, 16: 6, 64: 3}


def run(args, env):
    r = subprocess.run([BINARY, *map(str, args)], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise SystemExit(f"alexnet {' '.join(map(str, args))}: {r.stderr.strip()}")
    return r.stdout


def random_weights(arch, path, env):
    """He-normal weights for every tensor of the plan (`alexnet arch --json`), as safetensors."""
    plan = json.loads(run(["arch", arch, "--json", "--classes", 1000], env))
    rng = np.random.default_rng(0)
    tensors = {}
    for layer in plan["layers"]:
        if "weight" not in layer:
            continue
        shape = layer["weight_shape"]
        fan_in = int(np.prod(shape[1:]))
        tensors[layer["weight"]] = (rng.standard_normal(shape) * (2 / fan_in) ** 0.5).astype(np.float32)
        tensors[layer["bias"]] = np.full(shape[0], 0.01, np.float32)
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        b = tensors[name].tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {"arch": arch}
    h = json.dumps(header).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def arch_of(path):
    """The architecture of a file this script wrote (its name begins with it)."""
    return "alexnet-torchvision" if os.path.basename(path).startswith("alexnet-torchvision") else "alexnet"


def images_per_s(weights, batch, env):
    if weights.endswith(".onnx"):
        out = subprocess.run(["node", os.path.join(ROOT, "bench", "ort_peer.js"), "--arch", arch_of(weights), "--model", weights,
                              "--batch", str(batch), "--reps", str(REPS[batch]), "--threads", "2"],
                             capture_output=True, text=True, env=env, check=True).stdout
        return json.loads(out)["images_per_s"]
    out = run(["bench", "--weights", weights, "--batch", batch, "--reps", REPS[batch], "--json"], env)
    return json.loads(out)["images_per_s"]


def ort_fused_ops(qdq, env):
    """The operators of the graph ONNX Runtime runs for `qdq`, counted."""
    optimized = qdq + ".ort.onnx"
    subprocess.run(["node", os.path.join(ROOT, "bench", "ort_peer.js"), "--model", qdq, "--optimized", optimized,
                    "--batch", "1", "--reps", "1", "--warmup", "0", "--arch", arch_of(qdq)],
                   capture_output=True, text=True, env=env, check=True)
    import onnx
    ops = [n.op_type for n in onnx.load(optimized).graph.node]
    return {op: ops.count(op) for op in sorted(set(ops))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--isa", help="ONEDNN_MAX_CPU_ISA for every run (e.g. AVX2)")
    a = ap.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "2"))
    if a.isa:
        env["ONEDNN_MAX_CPU_ISA"] = a.isa
    print(run(["--version"], env).strip())
    with tempfile.TemporaryDirectory() as tmp:
        for arch in ["alexnet-torchvision", "alexnet"]:
            f32, int8 = os.path.join(tmp, arch + ".safetensors"), os.path.join(tmp, arch + "-int8.safetensors")
            random_weights(arch, f32, env)
            run(["quantize", "--weights", f32, "--calib", CALIB, "--images", 100, "--out", int8], env)
            qdq = int8.replace(".safetensors", ".onnx")
            run(["convert", int8, qdq], env)
            print(f"{arch}: ONNX Runtime runs the QDQ graph as {ort_fused_ops(qdq, env)}", flush=True)
            engines = (f32, int8, qdq)
            for batch in REPS:
                for w in engines:
                    images_per_s(w, batch, env)  # kernels measured and cached before timing
                rates = {w: [] for w in engines}
                for _ in range(a.rounds):
                    for w in engines:
                        rates[w].append(images_per_s(w, batch, env))
                m32, m8, ort = (statistics.median(rates[w]) for w in engines)
                print(f"{arch:20s} b{batch:<3d} f32 {m32:7.1f}  int8 {m8:7.1f}  ORT int8 {ort:7.1f} images/s   "
                      f"int8/f32 {m8 / m32:.2f}x  int8/ORT {m8 / ort:.2f}x", flush=True)


if __name__ == "__main__":
    main()
