"""Shared pieces of the Python tests: the command beside the module, PyTorch's golden files
(tests/data, written by tools/make_golden.py) and the deterministic weights they were made with,
and small image files written here."""
import json
import os
import struct
import subprocess
import zlib

import numpy as np
import pytest

# The table's kernels, as in the C++ tests (tests/isa_environment.cpp): results never depend
# on what a busy moment measured.
os.environ.setdefault("ALEXNET_TUNE", "off")

import alexnet  # noqa: E402
from alexnet import _alexnet  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("ALEXNET_BINARY", os.path.join(ROOT, "build", "alexnet"))
TEST_DATA = os.path.join(ROOT, "tests", "data")
FASHION = "/usr/share/datasets/fashion-mnist"


def run_command(*args):
    """The alexnet command; its stdout. Fails the test on a non-zero exit."""
    r = subprocess.run([BINARY, *map(str, args)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def hash_u32(idx, salt):
    """tests/golden.hpp's integer hash, exact in numpy's uint64."""
    m = np.uint64(0xFFFFFFFF)
    x = (idx.astype(np.uint64) * np.uint64(0x9E3779B1) + np.uint64(salt) * np.uint64(0x85EBCA77)) & m
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(0x2C1B3C6D)) & m
    x ^= x >> np.uint64(12)
    x = (x * np.uint64(0x297A2D39)) & m
    x ^= x >> np.uint64(15)
    return x


def pattern(n, salt, scale):
    u = hash_u32(np.arange(n, dtype=np.uint64), salt).astype(np.float64) / 4294967296.0 - 0.5
    return (u * scale).astype(np.float32)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, t in header.items():
        if name != "__metadata__":
            a, b = t["data_offsets"]
            out[name] = np.frombuffer(data[a:b], np.float32).reshape(t["shape"])
    return out, header.get("__metadata__", {})


def write_safetensors(path, tensors, metadata):
    header, blobs, off = {}, [], 0
    for name, a in tensors.items():
        b = np.ascontiguousarray(a, np.float32).tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def golden_weights(arch, classes, path):
    """The weights tools/make_golden.py gave PyTorch: the hash pattern, salted in network order."""
    tensors = {}
    for i, (name, shape) in enumerate(_alexnet.param_shapes(arch, classes)):
        n = int(np.prod(shape))
        scale = (2.0 / (n // shape[0])) ** 0.5 * 12 ** 0.5 * 0.8 if len(shape) > 1 else 0.1
        tensors[name] = pattern(n, 1000 + i, scale).reshape(shape)
    write_safetensors(path, tensors, {"arch": arch})
    return path


@pytest.fixture(scope="session")
def mini_path(tmp_path_factory):
    return str(golden_weights("alexnet-mini", 10, tmp_path_factory.mktemp("w") / "mini.safetensors"))


@pytest.fixture(scope="session")
def mini(mini_path):
    return alexnet.load(mini_path, threads=2)


def png_bytes(rgb):
    """A PNG of an H x W x 3 uint8 array (filter 0 on every row)."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def textured_image(seed, h=40, w=52):
    """A textured RGB image, the same for a seed."""
    y, x = np.mgrid[0:h, 0:w]
    r = (128 + 100 * np.sin(x / (3 + seed) + y / 7)).astype(np.uint8)
    g = ((x * 5 + y * 3 * seed) % 256).astype(np.uint8)
    b = ((x * y + 40 * seed) % 256).astype(np.uint8)
    return np.stack([r, g, b], axis=2)


@pytest.fixture(scope="session")
def image_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("img")
    paths = []
    for seed in (1, 2, 3):
        p = d / f"img{seed}.png"
        p.write_bytes(png_bytes(textured_image(seed)))
        paths.append(str(p))
    return paths
