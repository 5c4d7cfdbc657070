#!/usr/bin/env python3
"""A step as compute + exposed communication, data-parallel and hybrid, fitted on
bench/distributed.sh's rows (two ranks on shaped links), checked against every measured point,
then used to predict clusters of machines like the one measured.

  bench/distributed.sh > rows.md && bench/distributed_model.py rows.md

The model, per architecture:
  transfer  T(rate) = max(a, bits_on_wire / (eta * rate))  bits_on_wire = 8 * 2(N-1)/N * bytes
                                                            (the CPU's work and the wire's overlap)
  poke      step = C_p + b_p * T                            b_p: the share of the transfer left
                                                            exposed (poking between layers moves
                                                            a share of it during the backward)
  thread    step = C_t + max(0, T - H)                      H: the part of the transfer the
                                                            backward hides
  hybrid    step = C_h + X + max(0, T_c - H)                X = T(rate) * X_bytes / bytes:
                                                            the blocking exchanges of activations;
                                                            T_c the convolutions' reductions alone
a is the reductions alone on unshaped links (the CPU's own work: copies, sums, TCP through the
veths and the bridge) and eta is fitted on the reductions alone at the shaped rates; C_p and
b_p are fitted on the poke runs, C_t and H on the thread runs (both use the T measured at that
rate, so the step model is checked apart from the link model),
C_h on the hybrid runs, whose exchanges and reductions are predicted by the link model: a is
the reductions' own CPU work, taken to be proportional to the bytes, and X_bytes the bytes the
rank counted a step less its share of the convolutions' reductions.

The prediction, for N machines like the measured one (two vCPUs, one rank of two threads, each
image costing the measured rank's compute per image halved; C is the poke runs' mean compute,
the backward undisturbed), global batch B = 128 * max(1, N/8) (at least 16 images a machine;
the lr scaled by B/128 after a warm-up, Goyal et al. 2017), with the progress thread:
  C(N) = c_image * B / N
  T(N) = (a + 8 bytes / (eta * rate)) * 2(N-1)/N + 2(N-1) * buckets * 30 us
  step = C(N) * C_t/C + max(0, T(N) - C(N) * H/C)
and for hybrid, each rank sending (N-1)/N of every exchanged tensor (ring all-gathers and
reduce-scatters over the global batch's activations: the 9,216 features, fc6's and fc7's 4,096
outputs, each forward and back) and its share of fc8's logits (all-to-all), of which only the
share s travels that the measured runs sent (units a dropout zeroes, and a ReLU's zeros, stay
home: layers/exchange_codec.hpp; s depends on the data, not on N), with 30 us for each of the
(N-1) rounds of the nine ring collectives (the six exchanges, and the sizes of the forward
exchanges' messages gathered before them):
  X(N) = (a / bytes + 8 / (eta * rate)) * s * X_bytes(N) + 9 (N-1) * 30 us
  step = C_h(N) + X(N) + max(0, T_c(N) - C(N) * H/C)
(a, measured at 2 ranks, is the reductions' own work on this CPU (copies, sums), so it scales
with the bytes a rank handles; 30 us a message is assumed for a datacenter's TCP, not measured:
the namespaces' links have almost none; the progress thread's cost and the window it hides
under scale with the compute, as measured).
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
            if len(cells) != 10 or not cells[3].endswith(" s"):
                continue
            num = lambda c: float(c.split()[0])
            rows.append({"arch": cells[0], "link": cells[1], "rate": rate_bits(cells[1]), "mode": cells[2],
                         "step": num(cells[3]), "compute": num(cells[4]), "alone": num(cells[6]),
                         "bytes": float(cells[8]) * 1e6})
    return rows


# The convolutions' parameters (weights and biases), whatever the classes.
CONV_PARAMS = {"alexnet": 2_334_080, "alexnet-torchvision": 2_469_696}
FC_IN = {"alexnet": (9216, 4096, 4096), "alexnet-torchvision": (9216, 4096, 4096)}


def exchange_bytes(arch, batch, n, classes=10):
    """Bytes a rank would send a step in hybrid's exchanges of activations if all of them
    travelled: ring all-gathers forward and reduce-scatters back of the flattened features and of fc6's and
    fc7's outputs, (N-1)/N of each; fc8's logits for the other ranks' rows, both ways."""
    share = (n - 1) / n
    f, h6, h7 = FC_IN[arch]
    logits = batch * (n - 1) / n * classes / n
    return 4 * (2 * share * batch * (f + h6 + h7) + 2 * logits)


def conv_reduction_bytes(arch, n):
    return 4 * 2 * (n - 1) / n * CONV_PARAMS[arch]


def transfer(a, eta, measured_bytes, nbytes, rate):
    """Seconds to move nbytes: the CPU's work (a for the measured reductions' bytes) or the
    wire's time, whichever is longer."""
    cpu = a * nbytes / measured_bytes
    return max(cpu, 8 * nbytes / (eta * rate)) if rate else cpu


def fit_eta(a, points):  # points (seconds on the wire at full rate, seconds measured): least relative squares
    err = lambda eta: sum((max(a, x / eta) / y - 1) ** 2 for x, y in points)
    return min((i / 1000 for i in range(300, 1201)), key=err)


def fit_line(xs, ys):  # least squares y = a + b x
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return my - b * mx, b


def fit_hidden(points):  # step = C + max(0, T - H): H on a grid, C the mean residual
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
        shaped = {r["link"]: r for r in rs if r["rate"] and r["mode"] == "poke"}  # one run's measurements
        poke = [r for r in rs if r["mode"] == "poke"]
        thread = [r for r in rs if r["mode"] == "thread"]
        hybrid = [r for r in rs if r["mode"] == "hybrid"]
        data_bytes = thread[0]["bytes"]
        wire = 8 * data_bytes  # 2 ranks: 2(N-1)/N = 1
        a = next(r["alone"] for r in poke if not r["rate"])
        eta = fit_eta(a, [(wire / r["rate"], r["alone"]) for r in shaped.values()])
        c = sum(r["compute"] for r in poke) / len(poke)
        c_p, b_p = fit_line([r["alone"] for r in poke], [r["step"] for r in poke])
        c_t, h = fit_hidden(thread)
        link = lambda nbytes, rate: transfer(a, eta, data_bytes, nbytes, rate)
        conv = conv_reduction_bytes(arch, 2)
        hybrid_comm = lambda r: link(r["bytes"] - conv, r["rate"]) + max(0.0, link(conv, r["rate"]) - h)
        c_h = sum(r["step"] - hybrid_comm(r) for r in hybrid) / len(hybrid) if hybrid else float("nan")
        # The share of the activations that travelled (the rest known zero on every rank).
        dense = exchange_bytes(arch, 128, 2)
        travel = sum((r["bytes"] - conv) / dense for r in hybrid) / len(hybrid) if hybrid else 1.0
        models[arch] = dict(a=a, eta=eta, c=c, c_t=c_t, h=h, c_h=c_h, bytes=data_bytes, travel=travel)
        print(f"### {arch}\n")
        print(f"Fitted: a = {a:.2f} s, eta = {eta:.2f} of the link rate; poke C_p = {c_p:.2f} s, b_p = {b_p:.2f}; "
              f"thread C_t = {c_t:.2f} s, H = {h:.2f} s; hybrid C_h = {c_h:.2f} s (compute undisturbed C = {c:.2f} s); "
              f"hybrid's activations: {travel:.0%} of {dense / 1e6:.1f} MB travelled.\n")
        print("| link | mode | measured step | model | error | reductions alone | link model | error |")
        print("|---|---|---|---|---|---|---|---|")
        for r in rs:
            if r["mode"] == "poke":
                m = c_p + b_p * r["alone"]
            elif r["mode"] == "thread":
                m = c_t + max(0.0, r["alone"] - h)
            else:
                m = c_h + hybrid_comm(r)
            t = link(data_bytes, r["rate"]) if r["rate"] else None
            t_cells = f"{t:.2f} s | {t / r['alone'] - 1:+.0%}" if t else "– | –"
            print(f"| {r['link']} | {r['mode']} | {r['step']:.2f} s | {m:.2f} s | {m / r['step'] - 1:+.0%} "
                  f"| {r['alone']:.2f} s | {t_cells} |")
        print()
    predict(models)
    return models


def predict(models):
    print("### Predicted: N machines like the measured one\n")
    print("| arch | machines | link | global batch | compute | data-parallel: bytes/step | step | images/s "
          "| hybrid: bytes/step | step | images/s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for arch, m in models.items():
        c_image = m["c"] / 64 / 2  # a rank computed 64 images on one thread
        for n in (8, 32, 128):
            batch = 128 * max(1, n // 8)
            for gbit in (10, 25, 100):
                rate = gbit * 1e9
                per_byte = lambda nbytes: transfer(m["a"], m["eta"], m["bytes"], nbytes, rate)
                compute = c_image * batch / n
                wire_bytes = 2 * (n - 1) / n * m["bytes"]
                t = per_byte(wire_bytes) + 2 * (n - 1) * 16 * 30e-6
                step = compute * m["c_t"] / m["c"] + max(0.0, t - compute * m["h"] / m["c"])
                x_bytes = m["travel"] * exchange_bytes(arch, batch, n)
                conv_bytes = conv_reduction_bytes(arch, n)
                t_c = per_byte(conv_bytes) + 2 * (n - 1) * 10 * 30e-6
                hybrid = compute * m["c_h"] / m["c"] + per_byte(x_bytes) + 9 * (n - 1) * 30e-6 + \
                    max(0.0, t_c - compute * m["h"] / m["c"])
                print(f"| {arch} | {n} | {gbit} Gbit/s | {batch} | {compute:.2f} s | {wire_bytes / 1e6:.0f} MB "
                      f"| {step:.2f} s | {batch / step:,.0f} | {(x_bytes + conv_bytes) / 1e6:.0f} MB "
                      f"| {hybrid:.2f} s | {batch / hybrid:,.0f} |")


if __name__ == "__main__":
    main()
