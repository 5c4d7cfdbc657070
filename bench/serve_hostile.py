#!/usr/bin/env python3
"""`alexnet serve` while clients misbehave: does a good client keep being answered?

alexnet-mini with random weights, a 64x64 JPEG. A good client on 127.0.0.1 sends requests one
after another (a new connection each, as curl does) and records their latency, first alone,
then while 1,000 hostile connections from 127.0.0.2 are open:
  slow   each sends "POST /predict HTTP/1.1" and then one header line every 2 s
  idle   each connects and sends nothing
Then the per-client cap: from 127.0.0.2, cap + 100 connections opened at once; how long those
beyond the cap wait to be refused (closed, or answered 503). And the server's RSS idle and with
the 1,000 connections open. Targets: every good request 200, p99 <= 2x alone's and <= 1 s;
refused within 100 ms; RSS within 100 MB of idle.

usage: bench/serve_hostile.py [--hostile 1000] [--seconds 10] [--per-client 64] [--isa native]
(after building; prints Markdown)
"""
import argparse
import asyncio
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
HOSTILE_ADDR = "127.0.0.2"  # loopback answers on all of 127/8: a second client address


def start_server(weights, env, extra):
    cmd = [f"{BUILD}/alexnet", "serve", "--weights", weights, "--port", "0"] + extra
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    m = re.search(r":(\d+)/", line)
    if not m:
        p.kill()
        sys.exit(f"serve did not start: {line!r}")
    threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()  # drain its log
    return p, int(m.group(1))


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def good_request(port, body, timeout=10.0):
    """One POST /predict on a new connection: (status or None, seconds)."""
    t0 = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            head = (f"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
            s.sendall(head + body)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        status = int(data[9:12]) if data.startswith(b"HTTP/1.1 ") else None
    except OSError:
        status = None
    return status, time.perf_counter() - t0


def server_open(port):
    """The server's own count of open connections (/healthz), or None if it has none."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        m = re.search(rb'"connections_open":(\d+)', data)
        return int(m.group(1)) if m else None
    except OSError:
        return None


def good_client(port, body, seconds, mid=None):
    lat, bad = [], 0
    start = time.perf_counter()
    end = start + seconds
    while time.perf_counter() < end:
        if mid and time.perf_counter() > start + seconds / 2:
            mid()
            mid = None
        status, dt = good_request(port, body)
        lat.append(dt)
        bad += status != 200
    lat.sort()
    pct = lambda p: 1000 * lat[min(len(lat) - 1, int(p * len(lat)))]
    return {"n": len(lat), "bad": bad, "p50": pct(0.5), "p99": pct(0.99), "max": 1000 * lat[-1]}


class Hostile:
    """Connections from HOSTILE_ADDR on an asyncio loop of their own thread."""

    def __init__(self, port, count, kind):
        self.port, self.count, self.kind = port, count, kind
        self.opened = 0  # connections opened, reopened ones included
        self.closed_by_server = 0
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.stop = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.ready.wait(120)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._main())

    async def _one(self):
        """One hostile connection, opened again whenever the server closes it."""
        while not self.stop.is_set():
            try:
                r, w = await asyncio.open_connection("127.0.0.1", self.port, local_addr=(HOSTILE_ADDR, 0))
            except OSError:
                await asyncio.sleep(0.5)
                continue
            self.opened += 1
            reader = asyncio.ensure_future(r.read(4096))
            stopper = asyncio.ensure_future(self.stop.wait())
            try:
                if self.kind == "slow":
                    w.write(b"POST /predict HTTP/1.1\r\n")
                i = 0
                while True:
                    # Wakes on the stop, on the 2 s tick, or when the server answers or closes.
                    done, _ = await asyncio.wait([reader, stopper], timeout=2.0, return_when=asyncio.FIRST_COMPLETED)
                    if stopper in done:
                        break
                    if reader in done:
                        if reader.exception() is not None or reader.result() == b"":
                            raise ConnectionError("closed by the server")
                        reader = asyncio.ensure_future(r.read(4096))
                    if self.kind == "slow":
                        w.write(f"X-Drip-{i}: {'y' * 10}\r\n".encode())
                        i += 1
                        await w.drain()
            except (OSError, ConnectionError):
                self.closed_by_server += 1
                await asyncio.sleep(0.2)
            finally:
                reader.cancel()
                stopper.cancel()
                w.close()

    async def _main(self):
        self.stop = asyncio.Event()
        tasks = []
        for _ in range(self.count):
            tasks.append(asyncio.ensure_future(self._one()))
            await asyncio.sleep(0.001)
        await asyncio.sleep(1.0)
        self.ready.set()
        await asyncio.gather(*tasks)

    def close(self):
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(30)


def refusal_ms(port, count):
    """Opens count connections from HOSTILE_ADDR at once, sending nothing: for each connection
    the server closes within 2 s, ms from connect to close (those it keeps are not listed)."""
    socks, t0s = [], []
    for _ in range(count):
        s = socket.socket()
        s.bind((HOSTILE_ADDR, 0))
        s.settimeout(5)
        t0s.append(time.perf_counter())
        s.connect(("127.0.0.1", port))
        s.setblocking(False)
        socks.append(s)
    closed = {}
    end = time.perf_counter() + 2.0
    while time.perf_counter() < end and len(closed) < count:
        for i, s in enumerate(socks):
            if i in closed:
                continue
            try:
                while True:
                    data = s.recv(4096)
                    if not data:
                        closed[i] = time.perf_counter() - t0s[i]
                        break
            except BlockingIOError:
                pass
            except OSError:
                closed[i] = time.perf_counter() - t0s[i]
        time.sleep(0.002)
    for s in socks:
        s.close()
    return sorted(1000 * v for v in closed.values())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hostile", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--per-client", type=int, default=64, help="0: no per-client run")
    ap.add_argument("--isa", default="native")
    ap.add_argument("--serve-args", default="", help="more flags for alexnet serve")
    a = ap.parse_args()
    need = 2 * a.hostile + 200
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, need), hard))
    env = dict(os.environ)
    if a.isa == "avx2":
        env["ONEDNN_MAX_CPU_ISA"] = "AVX2"
    rows = []
    with tempfile.TemporaryDirectory(prefix="alexnet-hostile-") as tmp:
        weights = os.path.join(tmp, "mini.safetensors")
        subprocess.run([f"{BUILD}/serve_load", "weights", "--arch", "alexnet-mini", "--out", weights], check=True,
                       capture_output=True)
        subprocess.run([f"{BUILD}/make_images", os.path.join(tmp, "img"), "1", "64", "64", "1"], check=True,
                       capture_output=True)
        body = open(os.path.join(tmp, "img", "class0", "img0.jpg"), "rb").read()
        extra = a.serve_args.split()
        server, port = start_server(weights, env, extra)
        try:
            good_client(port, body, 2)  # warm-up
            idle_rss = rss_mb(server.pid)
            alone = good_client(port, body, a.seconds)
            rows.append(("alone", server_open(port), alone, idle_rss))
            for kind in ("slow", "idle"):
                h = Hostile(port, a.hostile, kind)
                seen = {}
                sample = lambda: seen.update(rss=rss_mb(server.pid), open=server_open(port))
                g = good_client(port, body, a.seconds, sample)
                rows.append((kind, seen["open"], g, seen["rss"]))
                h.close()
                time.sleep(1)
        finally:
            server.terminate()
            server.wait(timeout=60)
        capped = None
        if a.per_client > 0 and "--max-connections-per-client" not in a.serve_args:
            server, port = start_server(weights, env, extra + ["--max-connections-per-client", str(a.per_client)])
            try:
                good_client(port, body, 1)
                capped = refusal_ms(port, a.per_client + 100)
            finally:
                server.terminate()
                server.wait(timeout=60)
    print(f"alexnet serve, alexnet-mini, {a.hostile} hostile connections from {HOSTILE_ADDR}, ISA {a.isa}, "
          f"{os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')}\n")
    print("| hostile | open (server) | good requests | not 200 | p50 ms | p99 ms | max ms | p99 / alone | server RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    base = rows[0][2]["p99"]
    for kind, opened, g, rss in rows:
        print(f"| {kind} | {opened} | {g['n']} | {g['bad']} | {g['p50']:.1f} | {g['p99']:.1f} | {g['max']:.1f} | "
              f"{g['p99'] / base:.2f}x | {rss:.0f} |")
    if capped is not None:
        over = capped[:100] if len(capped) >= 100 else capped
        print(f"\nper-client cap {a.per_client}: {len(capped)} of {a.per_client + 100} connections closed within 2 s; "
              + (f"refusal p50 {over[len(over) // 2]:.1f} ms, max {over[-1]:.1f} ms" if over else "none refused"))


if __name__ == "__main__":
    main()
