#!/usr/bin/python3
"""Exports the three networks of tools/torch_alexnet.py to ONNX (opset 13, dynamic batch,
random weights) for the ONNX Runtime peer: bench/onnx/<arch>.onnx. PyTorch decomposes LRN into
elementary ops (alexnet.onnx); alexnet-lrnop.onnx has ONNX's LRN node instead, and the
comparison takes whichever ONNX Runtime runs faster.
Run with Debian's /usr/bin/python3 (python3-torch)."""
import os, sys
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
from torch_alexnet import ARCHS, Net  # noqa: E402

import torch_alexnet  # noqa: E402


os.makedirs(os.path.join(HERE, "onnx"), exist_ok=True)
exports = list(ARCHS.items()) + [("alexnet-lrnop", ARCHS["alexnet"])]
for arch, spec in exports:
    torch_alexnet.lrn = torch_alexnet.NativeLrn if arch == "alexnet-lrnop" else torch_alexnet.lrn
    torch.manual_seed(0)
    classes = 10 if arch == "alexnet-mini" else 1000
    net = Net(spec["convs"], spec["fcs"], classes, spec["crop"]).eval()
    x = torch.randn(2, 3, spec["crop"], spec["crop"])
    path = os.path.join(HERE, "onnx", f"{arch}.onnx")
    torch.onnx.export(net, x, path, opset_version=13, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    print(path)
