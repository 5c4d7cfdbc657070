#!/usr/bin/env python3
"""A data-parallel step as compute + exposed communication, fitted on bench/distributed.sh's
rows (two ranks on shaped links), checked against every measured point, then used to predict
clusters of machines like the one measured.

  bench/distributed.sh > rows.md && bench/distributed_model.py rows.md

The model, per architecture:
  transfer  T(rate) = a + bits_on_wire / (eta * rate)       bits_on_wire = 8 * 2(N-1)/N * bytes
  poke      step = C + T                                    nothing moves during the backward
  thread    step = C_t + max(0, T - H)                      H: the part of the backward the
                                                            transfer can hide under
a and eta are fitted on the reductions alone, C on the poke runs, C_t and H on the thread runs
(both use the T measured at that rate, so the step model is checked apart from the link model).

The prediction, for N machines like the measured one (two vCPUs, one rank of two threads, each
image costing the measured rank's compute per image halved), global batch B = 128 * max(1, N/8)
(at least 16 images a machine; the lr scaled by B/128 after a warm-up, Goyal et al. 2017):
  C(N) = c_image * B / N
  T(N) = (a + 8 bytes / (eta * rate)) * 2(N-1)/N + 2(N-1) * buckets * 30 us
  step = C(N) * C_t/C + max(0, T(N) - C(N) * H/C)
(a, measured at 2 ranks, is the reductions' own work on this CPU (copies, sums), so it scales
with the bytes a rank handles; 30 us a message is assumed for a datacenter's TCP, not measured:
the namespaces' links have almost none; the progress thread's cost and the window it hides
under scale with the compute, as measured). Hybrid's bytes are arithmetic: it is not built.
"""
import re
import sys

RATE_BITS = {"k": 1e3, "m": 1e6, "g": 1e9}


def rate_bits(text):
    m = re.fullmatch(r"([0-9.]+)([kmg])bit", text)
    return float(m[1]) * RATE_BITS[m[2]] if m else None


def read_rows(paths):
    rows = []
    for path in paths:
        for line in open(path):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) != 9 or not cells[3].endswith(" s"):
                continue
            num = lambda c: float(c.split()[0])
            rows.append({"arch": cells[0], "link": cells[1], "rate": rate_bits(cells[1]), "mode": cells[2],
                         "step": num(cells[3]), "compute": num(cells[4]), "alone": num(cells[6]),
                         "bytes": float(cells[8]) * 1e6})
    return rows


def fit_line(xs, ys):  # least squares y = a + b x
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return my - b * mx, b


def fit_thread(points):  # step = C_t + max(0, T - H): H on a grid, C_t the mean residual
    best = None
    for i in range(0, 2001):
        h = i * 0.005
        c = sum(p["step"] - max(0.0, p["alone"] - h) for p in points) / len(points)
        err = sum(((c + max(0.0, p["alone"] - h)) / p["step"] - 1) ** 2 for p in points)
        if best is None or err < best[0]:
            best = (err, c, h)
    return best[1], best[2]


def main():
    rows = read_rows(sys.argv[1:])
    if not rows:
        sys.exit("distributed_model.py: no rows of bench/distributed.sh in " + " ".join(sys.argv[1:]))
    models = {}
    for arch in sorted({r["arch"] for r in rows}):
        rs = [r for r in rows if r["arch"] == arch]
        shaped = {r["link"]: r for r in rs if r["rate"]}
        wire = 8 * rs[0]["bytes"]  # 2 ranks: 2(N-1)/N = 1
        a, slope = fit_line([wire / r["rate"] for r in shaped.values()], [r["alone"] for r in shaped.values()])
        eta = 1 / slope
        poke = [r for r in rs if r["mode"] == "poke"]
        thread = [r for r in rs if r["mode"] == "thread"]
        c = sum(r["step"] - r["alone"] for r in poke) / len(poke)
        c_t, h = fit_thread(thread)
        models[arch] = dict(a=a, eta=eta, c=c, c_t=c_t, h=h, bytes=rs[0]["bytes"])
        print(f"### {arch}\n")
        print(f"Fitted: a = {a:.2f} s, eta = {eta:.2f} of the link rate; poke C = {c:.2f} s; "
              f"thread C_t = {c_t:.2f} s, H = {h:.2f} s.\n")
        print("| link | progress | measured step | model | error | reductions alone | link model | error |")
        print("|---|---|---|---|---|---|---|---|")
        for r in rs:
            m = c + r["alone"] if r["mode"] == "poke" else c_t + max(0.0, r["alone"] - h)
            t = a + wire / (eta * r["rate"]) if r["rate"] else None
            t_cells = f"{t:.2f} s | {t / r['alone'] - 1:+.0%}" if t else "– | –"
            print(f"| {r['link']} | {r['mode']} | {r['step']:.2f} s | {m:.2f} s | {m / r['step'] - 1:+.0%} "
                  f"| {r['alone']:.2f} s | {t_cells} |")
        print()
    predict(models)
    return models


def hybrid_bytes(arch, batch, n, classes=10):
    """Bytes a rank receives a step with fc6-fc8 model-parallel: features all-gathered forward,
    their gradients reduce-scattered backward, the convolutions' gradients allreduced."""
    conv_params = {"alexnet": 2_334_080, "alexnet-torchvision": 2_469_696}[arch]
    share = (n - 1) / n
    acts = batch * (9216 + 4096 + 4096 + classes) + batch * (4096 + 4096 + 9216)
    return 4 * (share * acts + 2 * share * conv_params)


def predict(models):
    print("### Predicted: N machines like the measured one\n")
    print("| arch | machines | link | global batch | compute | data-parallel: bytes/step | step | images/s | "
          "hybrid: bytes/step |")
    print("|---|---|---|---|---|---|---|---|---|")
    for arch, m in models.items():
        c_image = m["c"] / 64 / 2  # a rank computed 64 images on one thread
        for n in (8, 32, 128):
            batch = 128 * max(1, n // 8)
            for gbit in (10, 25, 100):
                compute = c_image * batch / n
                wire_bytes = 2 * (n - 1) / n * m["bytes"]
                t = (m["a"] + 8 * m["bytes"] / (m["eta"] * gbit * 1e9)) * 2 * (n - 1) / n + 2 * (n - 1) * 16 * 30e-6
                step = compute * m["c_t"] / m["c"] + max(0.0, t - compute * m["h"] / m["c"])
                print(f"| {arch} | {n} | {gbit} Gbit/s | {batch} | {compute:.2f} s | {wire_bytes / 1e6:.0f} MB "
                      f"| {step:.2f} s | {batch / step:,.0f} | {hybrid_bytes(arch, batch, n) / 1e6:.0f} MB |")


if __name__ == "__main__":
    main()
