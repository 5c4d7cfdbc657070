#!/usr/bin/python3
"""One PyTorch measurement, the peer of `alexnet bench`: the same network (tools/torch_alexnet.py),
batch, mode and threads, random data, the median of --reps timed repetitions after --warmup.
Training = zero_grad + forward + cross-entropy + backward + SGD(momentum 0.9, wd 5e-4) step,
dropout active. Prints one JSON line. Run with Debian's /usr/bin/python3 (python3-torch)."""
import argparse, json, os, resource, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("--arch", default="alexnet")
ap.add_argument("--mode", default="infer", choices=["infer", "train"])
ap.add_argument("--batch", type=int, default=64)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--reps", type=int, default=5)
ap.add_argument("--warmup", type=int, default=2)
ap.add_argument("--check-blas", action="store_true",
                help="instead: which BLAS torch runs on, its 1024^3 matmul GFLOP/s and error")
args = ap.parse_args()
for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[v] = str(args.threads)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from torch_alexnet import ARCHS, Net  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(0)

if args.check_blas:
    # Debian's torch calls whatever libblas.so.3 points at: the reference BLAS runs ~4x slower
    # than OpenBLAS. Measured, not assumed; the error guards against OPENBLAS_CORETYPE
    # settings that compute wrong results on some CPUs.
    lib = next((l.split()[-1] for l in open("/proc/self/maps") if "libblas.so" in l or "libopenblas" in l), "?")
    a = torch.randn(1024, 1024)
    ref = (a.double() @ a.double()).float()
    err = ((a @ a) - ref).abs().max().item()
    t0 = time.perf_counter()
    for _ in range(5):
        a @ a
    gflops = 2 * 1024 ** 3 * 5 / (time.perf_counter() - t0) / 1e9
    print(json.dumps({"blas": os.path.realpath(lib), "gflops": gflops, "max_error": err,
                      "coretype": os.environ.get("OPENBLAS_CORETYPE", ""), "torch": torch.__version__}))
    sys.exit(0)
spec = ARCHS[args.arch]
classes = 10 if args.arch == "alexnet-mini" else 1000
net = Net(spec["convs"], spec["fcs"], classes, spec["crop"], dropout=True)
x = torch.randn(args.batch, 3, spec["crop"], spec["crop"])
y = torch.randint(0, classes, (args.batch,))
train = args.mode == "train"
net.train(train)
opt = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9, weight_decay=5e-4)


def step():
    if train:
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
    else:
        with torch.no_grad():
            net(x)


for _ in range(args.warmup):
    step()
times = []
for _ in range(args.reps):
    t0 = time.perf_counter()
    step()
    times.append(time.perf_counter() - t0)
times.sort()
print(json.dumps({"arch": args.arch, "mode": args.mode, "batch": args.batch, "threads": torch.get_num_threads(),
                  "images_per_s": args.batch / times[len(times) // 2],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
                  "torch": torch.__version__}))
