#!/usr/bin/env python3
"""`alexnet serve` soaked: many requests from many clients, then SIGTERM under load.

32 clients (half on kept-alive connections, half on a new connection per request) send a mix
of good images (PNG, JPEG at three sizes, BMP, PPM; raw bodies and multipart forms) and bad
uploads (empty, not an image, cut short, a wrong Content-Type, too large, bad parameters, wrong
method or path). Every good answer is compared with `alexnet predict --json` on the same file
(top-5 classes equal, probabilities within 1e-4); every bad one must be its 4xx with a JSON
error. The server's resident memory, open file descriptors and threads are sampled each
second. At the end the clients keep sending while the server gets SIGTERM at a random moment:
every answer received must be complete, and the server must exit 0.

usage: /usr/bin/python3 tools/soak_serve.py [--requests 100000] [--clients 32]
       (after building; Fashion-MNIST from Debian's dataset-fashion-mnist; prints Markdown)
"""
import argparse
import http.client
import json
import os
import random
import re
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
ALEXNET = os.path.join(BUILD, "alexnet")


def write_ppm(path, w, h, seed):
    px = bytes((x * 7 + y * 13 + seed * 31 + c * 50) % 256 for y in range(h) for x in range(w) for c in range(3))
    with open(path, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (w, h) + px)


def write_bmp(path, w, h, seed):
    row = (w * 3 + 3) // 4 * 4
    px = b"".join(bytes((x * 5 + y * 11 + seed * 17 + c * 70) % 256 for x in range(w) for c in range(3)).ljust(row, b"\0")
                  for y in range(h))
    header = b"BM" + struct.pack("<IHHI", 54 + len(px), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(px), 2835, 2835, 0, 0)
    with open(path, "wb") as f:
        f.write(header + info + px)


def make_inputs(tmp):
    """Good images of several formats and sizes, and what `alexnet predict` answers for each."""
    subprocess.run([ALEXNET, "prepare", "/usr/share/datasets/fashion-mnist", f"{tmp}/png", "--split", "test",
                    "--limit", "12"], check=True, capture_output=True)
    for name, n, w, h in (("small", 4, 64, 48), ("medium", 4, 320, 240), ("large", 2, 1024, 768)):
        subprocess.run([os.path.join(BUILD, "make_images"), f"{tmp}/jpg-{name}", str(n), str(w), str(h), "1"],
                       check=True, capture_output=True)
    os.makedirs(f"{tmp}/other")
    for i in range(3):
        write_ppm(f"{tmp}/other/p{i}.ppm", 40 + 13 * i, 57 - 9 * i, i)
        write_bmp(f"{tmp}/other/b{i}.bmp", 33 + 10 * i, 29 + 7 * i, i)
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(tmp) for f in fs
                   if f.endswith((".png", ".jpg", ".bmp", ".ppm")))
    return files


def reference(weights, files):
    out = subprocess.run([ALEXNET, "predict", "--weights", weights, "--json", "--topk", "5"] + files,
                         check=True, capture_output=True, text=True).stdout
    answers = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert len(answers) == len(files), out[:500]
    return {a["input"]: a["top"] for a in answers}


def content_type(path):
    ext = os.path.splitext(path)[1]
    return {".png": "image/png", ".jpg": "image/jpeg", ".bmp": "image/bmp"}.get(ext, "application/octet-stream")


def multipart(data, filename):
    b = b"--soakXYZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"%s\"\r\n" % filename.encode()
    b += b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n--soakXYZ--\r\n"
    return b, "multipart/form-data; boundary=soakXYZ"


def bad_requests(jpeg, png):
    """(method, path, body, content type, expected status) of uploads the server must refuse."""
    return [
        ("POST", "/predict", b"", "image/png", 400),
        ("POST", "/predict", b"this is not an image", "image/png", 400),
        ("POST", "/predict", jpeg[:3000], "image/jpeg", 400),  # an upload that lost its connection
        ("POST", "/predict", png[: len(png) // 2], "image/png", 400),
        ("POST", "/predict", png, "text/plain", 415),
        ("POST", "/predict", b"x" * (2 << 20) + b"y", "image/png", 413),
        ("POST", "/predict?topk=0", png, "image/png", 400),
        ("POST", "/features?layer=fc9", png, "image/png", 400),
        ("POST", "/predict", *multipart(png, "a.png")[:1], "multipart/form-data; boundary=other", 400),
        ("GET", "/predict", b"", None, 405),
        ("GET", "/nothing-here", b"", None, 404),
    ]


class Client(threading.Thread):
    def __init__(self, cid, port, work, stop, keep_alive, seed):
        super().__init__(daemon=True)
        self.cid, self.port, self.work, self.stop, self.keep_alive = cid, port, work, stop, keep_alive
        self.rng = random.Random(seed)
        self.records = []  # (start time, latency s, kind, ok, detail)
        self.conn = None

    def request(self, method, path, body, ctype):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {} if ctype is None else {"Content-Type": ctype}
        if not self.keep_alive:
            headers["Connection"] = "close"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            r = self.conn.getresponse()
            data = r.read()  # IncompleteRead if the answer is cut short
            status = r.status
            closing = r.getheader("Connection", "").lower() == "close"
        except Exception:
            self.conn.close()
            self.conn = None
            raise
        if not self.keep_alive or closing:
            self.conn.close()
            self.conn = None
        return status, data

    def run(self):
        while not self.stop.is_set():
            item = self.work()
            if item is None:
                return
            kind, method, path, body, ctype, expect = item
            t0 = time.monotonic()
            try:
                status, data = self.request(method, path, body, ctype)
            except (ConnectionError, http.client.RemoteDisconnected, http.client.CannotSendRequest, OSError) as e:
                self.records.append((t0, time.monotonic() - t0, kind, None, f"connection: {type(e).__name__}"))
                continue
            except http.client.IncompleteRead as e:
                self.records.append((t0, time.monotonic() - t0, kind, False, f"incomplete answer: {e!r}"))
                continue
            lat = time.monotonic() - t0
            self.records.append((t0, lat, kind, *check(kind, status, data, expect)))


def check(kind, status, data, expect):
    try:
        j = json.loads(data)
    except ValueError:
        return False, f"status {status}, not JSON: {data[:100]!r}"
    if kind == "bad":
        ok = status == expect and "error" in j
        return ok, f"status {status}, expected {expect}: {data[:150]!r}"
    if status != 200:
        return False, f"status {status}: {data[:150]!r}"
    want = expect
    got = j["top"]
    ok = [c["class"] for c in got] == [c["class"] for c in want] and all(
        abs(a["prob"] - b["prob"]) <= 1e-4 for a, b in zip(got, want))
    return ok, f"got {got[:2]}, predict said {want[:2]}"


def sample(pid):
    with open(f"/proc/{pid}/status") as f:
        status = f.read()
    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
    threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))
    return rss, len(os.listdir(f"/proc/{pid}/fd")), threads


def percentile(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(p / 100 * len(v)))] if v else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--weights", help="default: random alexnet-mini weights (the answers are checked against "
                    "predict's, not against labels)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tmp = tempfile.mkdtemp(prefix="soak-")
    files = make_inputs(tmp)
    if not args.weights:
        args.weights = f"{tmp}/weights.safetensors"
        subprocess.run([os.path.join(BUILD, "serve_load"), "weights", "--arch", "alexnet-mini", "--out", args.weights],
                       check=True, capture_output=True)
    refs = reference(args.weights, files)
    blobs = {f: open(f, "rb").read() for f in files}
    jpeg = next(blobs[f] for f in files if f.endswith(".jpg") and "medium" in f)
    png = next(blobs[f] for f in files if f.endswith(".png"))
    bad = bad_requests(jpeg, png)

    server = subprocess.Popen([ALEXNET, "serve", "--weights", args.weights, "--port", "0", "--max-body-mb", "2"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    port = int(re.search(r"127\.0\.0\.1:(\d+)/", server.stdout.readline()).group(1))

    issued = [0]
    lock = threading.Lock()

    def next_item(limit):
        def work():
            with lock:
                if issued[0] >= limit:
                    return None
                issued[0] += 1
                r = rng.random()
            if r < 0.2:
                m, p, b, t, e = rng.choice(bad)
                return ("bad", m, p, b, t, e)
            f = rng.choice(files)
            body, ctype = (multipart(blobs[f], os.path.basename(f)) if r < 0.35 else (blobs[f], content_type(f)))
            return ("good", "POST", "/predict?topk=5", body, ctype, refs[f])
        return work

    samples = []
    stop_sampling = threading.Event()

    def sampler():
        t0 = time.monotonic()
        while not stop_sampling.wait(1.0):
            try:
                samples.append((time.monotonic() - t0, *sample(server.pid)))
            except (FileNotFoundError, ProcessLookupError, AttributeError):
                return

    threading.Thread(target=sampler, daemon=True).start()
    samples.append((0.0, *sample(server.pid)))
    stop = threading.Event()
    t_start = time.monotonic()
    clients = [Client(i, port, next_item(args.requests), stop, i % 2 == 0, args.seed * 1000 + i)
               for i in range(args.clients)]
    for c in clients:
        c.start()
    last_print = 0
    while any(c.is_alive() for c in clients):
        time.sleep(0.5)
        if time.monotonic() - last_print > 10:
            last_print = time.monotonic()
            print(f"  {issued[0]:,} / {args.requests:,} requests, {time.monotonic() - t_start:.0f} s", file=sys.stderr)
    soak_s = time.monotonic() - t_start
    records = sorted(r for c in clients for r in c.records)
    samples.append((time.monotonic() - t_start, *sample(server.pid)))

    # SIGTERM under load: clients keep sending until the server is gone.
    term_clients = [Client(i, port, next_item(10**9), stop, i % 2 == 0, args.seed * 2000 + i)
                    for i in range(args.clients)]
    for c in term_clients:
        c.start()
    delay = rng.uniform(0.5, 3.0)
    time.sleep(delay)
    server.send_signal(signal.SIGTERM)
    try:
        code = server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        code = "hung (killed after 60 s)"
    stop.set()
    stop_sampling.set()
    for c in term_clients:
        c.join(timeout=70)
    term = [r for c in term_clients for r in c.records]
    report(args, soak_s, records, samples, term, delay, code, server.stderr.read())


def report(args, soak_s, records, samples, term, delay, code, stderr):
    good = [r for r in records if r[2] == "good"]
    wrong = [r for r in records if r[3] is False]
    conn_errors = [r for r in records if r[3] is None]
    tenth = max(1, len(good) // 10)
    first, last = [r[1] for r in good[:tenth]], [r[1] for r in good[-tenth:]]
    print(f"## serve soak: {len(records):,} requests from {args.clients} clients in {soak_s:.0f} s "
          f"({len(records) / soak_s:.0f} requests/s)\n")
    print(f"- good images: {len(good):,}, wrong answers: {sum(1 for r in good if r[3] is False)}")
    print(f"- bad uploads: {len(records) - len(good):,}, not refused as expected: "
          f"{sum(1 for r in records if r[2] == 'bad' and r[3] is False)}")
    print(f"- connection errors: {len(conn_errors)}")
    for r in (wrong + conn_errors)[:5]:
        print(f"  - {r[2]}: {r[4]}")
    print(f"- latency of good requests, first {tenth:,}: p50 {1e3 * percentile(first, 50):.1f} ms, "
          f"p99 {1e3 * percentile(first, 99):.1f} ms; last {tenth:,}: p50 {1e3 * percentile(last, 50):.1f} ms, "
          f"p99 {1e3 * percentile(last, 99):.1f} ms\n")
    print("| time (s) | RSS (MB) | open fds | threads |\n|---|---|---|---|")
    step = max(1, len(samples) // 12)
    for s in samples[::step] + ([samples[-1]] if (len(samples) - 1) % step else []):
        print(f"| {s[0]:.0f} | {s[1]:.0f} | {s[2]} | {s[3]} |")
    answered = [r for r in term if r[3] is not None]
    incomplete = [r for r in term if r[3] is False]
    print(f"\nSIGTERM {delay:.1f} s into further load: {len(answered):,} answers received, "
          f"{len(incomplete)} incomplete or wrong, {len(term) - len(answered):,} requests refused at the "
          f"connection (server gone); exit code {code}")
    for r in incomplete[:5]:
        print(f"  - {r[4]}")
    if stderr.strip():
        print("server stderr (last lines):\n" + "\n".join(stderr.strip().splitlines()[-5:]))
    failed = wrong or conn_errors or incomplete or code != 0
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
