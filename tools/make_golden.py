#!/usr/bin/python3
"""Writes the golden files of tests/data/ with PyTorch, the oracle (never a dependency of the
product). Run by hand with Debian's python3-torch:

    /usr/bin/python3 tools/make_golden.py

For each architecture it builds the same network in PyTorch, fills weights and inputs with the
deterministic hash pattern that tests/golden.hpp regenerates in C++ (so no weights are stored),
and records: eval-mode logits, the training-mode loss (dropout off) and, for every parameter,
its gradient's sum, sum of squares and 64 sampled entries. For alexnet-mini it also records the
losses of three steps of torch.optim.SGD(lr, momentum 0.9, weight_decay 5e-4) at constant lr.
"""
import json, os, struct, sys
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_alexnet import ARCHS, Net  # noqa: E402

torch.set_num_threads(2)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data")

M32 = 0xFFFFFFFF


def hash_u32(idx, salt):
    """The integer hash of tests/golden.hpp: exact in both languages."""
    x = (idx.astype(np.uint64) * np.uint64(0x9E3779B1) + np.uint64(salt) * np.uint64(0x85EBCA77)) & np.uint64(M32)
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(0x2C1B3C6D)) & np.uint64(M32)
    x ^= x >> np.uint64(12)
    x = (x * np.uint64(0x297A2D39)) & np.uint64(M32)
    x ^= x >> np.uint64(15)
    return x


def pattern(n, salt, scale):
    """Uniform in [-scale/2, scale/2), as float32."""
    u = hash_u32(np.arange(n, dtype=np.uint64), salt).astype(np.float64) / 4294967296.0 - 0.5
    return (u * scale).astype(np.float32)


def sample_index(n, k=64):
    return (hash_u32(np.arange(k, dtype=np.uint64), 7777) % np.uint64(n)).astype(np.int64)


def param_order(net, spec):
    """(file name, tensor) in the order of src/model/network.cpp, which the salts follow."""
    out = []
    for row in spec["convs"] + spec["fcs"]:
        name = row[0]
        f = spec["file"].get(name, name)
        out.append((f + ".weight", net.layers[name].weight))
        out.append((f + ".bias", net.layers[name].bias))
    return out


def fill(net, spec):
    with torch.no_grad():
        for i, (name, t) in enumerate(param_order(net, spec)):
            n = t.numel()
            fan_in = n // t.shape[0] if t.dim() > 1 else 1
            scale = (2.0 / fan_in) ** 0.5 * 12 ** 0.5 * 0.8 if t.dim() > 1 else 0.1
            t.copy_(torch.from_numpy(pattern(n, 1000 + i, scale)).reshape(t.shape))


def write_safetensors(path, tensors, metadata):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype=np.float32)
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    h = json.dumps(header).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def golden(arch, batch, classes):
    spec = ARCHS[arch]
    torch.manual_seed(0)
    net = Net(spec["convs"], spec["fcs"], classes, spec["crop"], lrn_k=spec.get("lrn_k", 2.0))
    fill(net, spec)
    c = spec["crop"]
    x = torch.from_numpy(pattern(batch * 3 * c * c, 1, 4.0)).reshape(batch, 3, c, c)
    labels = torch.tensor([(i * 7 + 3) % classes for i in range(batch)])
    net.eval()
    with torch.no_grad():
        logits = net(x.double() if False else x)
    net.train()
    net.zero_grad()
    loss = F.cross_entropy(net(x), labels)
    loss.backward()
    t = {"logits": logits.numpy(), "loss": np.array([loss.item()], np.float32),
         "labels": labels.numpy().astype(np.float32)}
    for name, p in param_order(net, spec):
        g = p.grad.detach().numpy().reshape(-1).astype(np.float64)
        idx = sample_index(g.size)
        t["grad_sum/" + name] = np.array([g.sum()], np.float32)
        t["grad_sumsq/" + name] = np.array([(g * g).sum()], np.float32)
        t["grad_max/" + name] = np.array([np.abs(g).max()], np.float32)
        t["grad_sample/" + name] = g[idx].astype(np.float32)
    if arch == "alexnet-mini":
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = F.cross_entropy(net(x), labels)
            losses.append(loss.item())
            loss.backward()
            opt.step()
        t["sgd_losses"] = np.array(losses, np.float32)
    meta = {"arch": arch, "batch": batch, "classes": classes, "torch": torch.__version__}
    path = os.path.join(OUT, f"golden_{arch}.safetensors")
    write_safetensors(path, t, meta)
    print(path, "loss", loss.item(), "logits[0,:4]", logits[0, :4].tolist())


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    golden("alexnet-mini", 8, 10)
    golden("alexnet", 2, 1000)
    golden("alexnet-torchvision", 2, 1000)
    golden("alexnet-caffe", 2, 1000)
