#!/usr/bin/python3
"""Writes tests/data/golden_int8_<arch>.safetensors with PyTorch, the oracle: the logits of an
fp32 simulation of int8 inference (src/kernels/quant.hpp's rule), for the weights and inputs
tools/make_golden.py's hash pattern gives (regenerated in C++, not stored). Run by hand:

    /usr/bin/python3 tools/make_golden_int8.py

Per layer with parameters it records the quantization it chose (7-bit weights, one scale per
output channel: max |w| / 63; the input's scale from the fp32 forward of the same batch: max / 255
after a ReLU, max |x| / 127 with zero point 128 for the signed image) and the simulated logits:
each such layer's input quantized in f32 as u = clamp(rne(x * f32(1 / s) + zp), 0, 255), the
product computed in f64 on (u - zp) * s, the dequantized weights and the bias rounded to an
int32 of the product's scale (in_scale * w_scale), everything else as PyTorch
computes it.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden import OUT, fill, pattern, write_safetensors  # noqa: E402
from torch_alexnet import ARCHS, Net  # noqa: E402

torch.set_num_threads(2)


def layer_inputs(net, x):
    """Each param layer's input in the fp32 forward (the calibration of this golden)."""
    seen = {}
    hooks = [m.register_forward_pre_hook(lambda m, a, n=n: seen.__setitem__(n, a[0].detach().clone()))
             for n, m in net.layers.items()]
    with torch.no_grad():
        logits = net(x)
    for h in hooks:
        h.remove()
    return seen, logits


def choose(net, inputs):
    q = {}
    for name, m in net.layers.items():
        w = m.weight.detach().reshape(m.weight.shape[0], -1)
        w_scale = (w.abs().max(dim=1).values / 63).float()
        x = inputs[name]
        signed = bool(x.min() < 0)
        in_scale = float(x.abs().max() / (127 if signed else 255))
        q[name] = (w_scale, np.float32(in_scale), 128 if signed else 0)
    return q


def fake_quant_input(x, in_scale, zp):
    inv = np.float32(1.0) / np.float32(in_scale)
    u = torch.clamp(torch.round(x.float() * torch.tensor(inv) + torch.tensor(np.float32(zp))), 0, 255)
    return ((u - zp) * float(in_scale)).double()


def dequantized_weight(m, w_scale):
    w = m.weight.detach()
    s = w_scale.reshape(-1, *([1] * (w.dim() - 1)))
    return (torch.clamp(torch.round(w / s), -63, 63) * s).double()


def quantized_bias(m, w_scale, in_scale):
    """The bias as an int32 of the product's scale in_scale * w_scale (f32), as QLinearConv has it."""
    s = (w_scale.float() * torch.tensor(np.float32(in_scale))).double()
    return torch.round(m.bias.detach().double() / s) * s


def simulate(net, x, q):
    """Net.forward with every param layer in int8."""
    def layer(name, m, h):
        w_scale, in_scale, zp = q[name]
        hq, w, b = fake_quant_input(h, in_scale, zp), dequantized_weight(m, w_scale), quantized_bias(m, w_scale, in_scale)
        if isinstance(m, torch.nn.Conv2d):
            return F.conv2d(hq, w, b, m.stride, m.padding, m.dilation, m.groups).float()
        return F.linear(hq, w, b).float()

    with torch.no_grad():
        return net(x, layer)


def golden(arch, batch, classes):
    spec = ARCHS[arch]
    torch.manual_seed(0)
    net = Net(spec["convs"], spec["fcs"], classes, spec["crop"], lrn_k=spec.get("lrn_k", 2.0))
    fill(net, spec)
    net.eval()
    c = spec["crop"]
    x = torch.from_numpy(pattern(batch * 3 * c * c, 1, 4.0)).reshape(batch, 3, c, c)
    inputs, logits_f32 = layer_inputs(net, x)
    q = choose(net, inputs)
    logits = simulate(net, x, q)
    t = {"logits": logits.numpy(), "logits_f32": logits_f32.numpy()}
    for name, (w_scale, in_scale, zp) in q.items():
        t[name + ".weight_scale"] = w_scale.numpy()
        t[name + ".input_scale"] = np.array([in_scale], np.float32)
        t[name + ".input_zero_point"] = np.array([zp], np.float32)
    rel = float((logits - logits_f32).norm() / logits_f32.norm())
    path = os.path.join(OUT, f"golden_int8_{arch}.safetensors")
    write_safetensors(path, t, {"arch": arch, "batch": batch, "classes": classes, "torch": torch.__version__})
    print(path, "int8 vs f32 relative error", rel, "logits[0,:4]", logits[0, :4].tolist())


if __name__ == "__main__":
    golden("alexnet-mini", 8, 10)
    golden("alexnet", 2, 1000)
    golden("alexnet-torchvision", 2, 1000)
