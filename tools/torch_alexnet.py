"""The AlexNets of docs/spec.md §1 in PyTorch, built from the layer plan the engine prints
(`alexnet arch A --json`): the oracle for tools/make_golden.py and the peer for bench/compare.py.
Never used by the product."""
import json
import os
import subprocess

import torch
import torch.nn as nn
import torch.nn.functional as F


def lrn(k=2.0):
    return nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=k)


class _LrnOp(torch.autograd.Function):
    """LocalResponseNorm, exported as ONNX's own LRN node instead of torch 1.13's decomposition
    into Pow/AveragePool/... elementary ops."""

    @staticmethod
    def forward(ctx, x, k):
        return F.local_response_norm(x, 5, alpha=1e-4, beta=0.75, k=k)

    @staticmethod
    def symbolic(g, x, k):
        return g.op("LRN", x, size_i=5, alpha_f=1e-4, beta_f=0.75, bias_f=k)


class NativeLrn(nn.Module):
    """Set `torch_alexnet.lrn = NativeLrn` before torch.onnx.export to get the LRN op."""

    def __init__(self, k=2.0):
        super().__init__()
        self.k = k

    def forward(self, x):
        return _LrnOp.apply(x, self.k)


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Net(nn.Module):
    """Rows from the layer plan (spec_from_plan): convs (name, out, k, stride, pad, groups, lrn, pool),
    fcs (name, out, relu, dropout on the input). Dropout only with dropout=True (the goldens
    compare gradients without it)."""

    def __init__(self, convs, fcs, classes, crop, dropout=False, lrn_k=2.0):
        super().__init__()
        self.rows, self.fc_rows, self.dropout, self.lrn_k = convs, fcs, dropout, lrn_k
        cin, size = 3, crop
        self.layers = nn.ModuleDict()
        for (name, out, k, s, p, g, use_lrn, pool) in convs:
            self.layers[name] = nn.Conv2d(cin, out, k, s, p, groups=g)
            cin = out
            size = (size + 2 * p - k) // s + 1
            if pool:
                size = (size - POOL[0]) // POOL[1] + 1
        feat = cin * size * size
        for (name, out, relu, drop_in) in fcs:
            out = out or classes
            self.layers[name] = nn.Linear(feat, out)
            feat = out

    def forward(self, x, layer=None):
        """layer(name, module, x): how a layer with parameters computes (tools/make_golden_int8.py
        swaps in int8); by default the module itself."""
        layer = layer or (lambda name, m, h: m(h))
        for (name, out, k, s, p, g, use_lrn, pool) in self.rows:
            x = F.relu(layer(name, self.layers[name], x))
            if use_lrn:
                x = lrn(self.lrn_k)(x)
            if pool:
                x = F.max_pool2d(x, *POOL)
        x = torch.flatten(x, 1)
        for (name, out, relu, drop_in) in self.fc_rows:
            if self.dropout and drop_in > 0:
                x = F.dropout(x, drop_in, self.training)
            x = layer(name, self.layers[name], x)
            if relu:
                x = F.relu(x)
        return x


def plan(arch):
    """`alexnet arch ARCH --json`: the layer plan the engine itself walks (src/model/layer_plan.hpp).
    The binary is $ALEXNET, or build/alexnet of this checkout."""
    exe = os.environ.get("ALEXNET", os.path.join(ROOT, "build", "alexnet"))
    out = subprocess.run([exe, "arch", arch, "--json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def spec_from_plan(p):
    """The plan's layers as Net's rows: convs (name, out, k, stride, pad, groups, lrn, pool), fcs
    (name, out (0: the classes), relu, dropout on the input), the tensors' names in files."""
    convs, fcs, file, lrn_k, drop = [], [], {}, 2.0, 0.0
    for layer in p["layers"]:
        kind = layer["kind"]
        if kind == "conv":
            convs.append([layer["name"], layer["out"][0], layer["kernel"], layer["stride"], layer["pad"],
                          layer["groups"], False, False])
        elif kind == "lrn":
            convs[-1][6] = True
            lrn_k = layer["lrn"]["k"]
            n = layer["lrn"]  # float32 values: 1e-4 prints as 9.9999997e-05
            assert n["size"] == 5 and abs(n["alpha"] - 1e-4) < 1e-9 and n["beta"] == 0.75, f"the twin's LRN: {layer}"
        elif kind == "max_pool":
            assert (layer["kernel"], layer["stride"]) == POOL, f"the twin pools {POOL}: {layer}"
            convs[-1][7] = True
        elif kind == "dropout":
            drop = layer["p"]
        elif kind == "linear":
            fcs.append((layer["name"], layer["out"][0], layer["relu"], drop))
            drop = 0.0
        if "weight" in layer and layer["weight"] != layer["name"] + ".weight":
            file[layer["name"]] = layer["weight"][:-len(".weight")]
    fcs[-1] = (fcs[-1][0], 0, fcs[-1][2], fcs[-1][3])
    return dict(crop=p["input"][1], file=file, convs=[tuple(c) for c in convs], fcs=fcs, lrn_k=lrn_k)


POOL = (3, 2)  # Net's max pooling: size 3, stride 2 (checked against each plan)
ARCH_NAMES = ["alexnet", "alexnet-torchvision", "alexnet-mini", "alexnet-caffe"]
ARCHS = {name: spec_from_plan(plan(name)) for name in ARCH_NAMES}
