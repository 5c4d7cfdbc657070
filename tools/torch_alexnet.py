"""The three AlexNets of docs/spec.md §1 in PyTorch, row for row as src/model/arch.cpp: the oracle for
tools/make_golden.py and the peer for bench/compare.py. Never used by the product."""
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


class Net(nn.Module):
    """Rows as in src/model/arch.cpp: convs (name, out, k, stride, pad, groups, lrn, pool),
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
                size = (size - 3) // 2 + 1
        feat = cin * size * size
        for (name, out, relu, drop_in) in fcs:
            out = out or classes
            self.layers[name] = nn.Linear(feat, out)
            feat = out

    def forward(self, x):
        for (name, out, k, s, p, g, use_lrn, pool) in self.rows:
            x = F.relu(self.layers[name](x))
            if use_lrn:
                x = lrn(self.lrn_k)(x)
            if pool:
                x = F.max_pool2d(x, 3, 2)
        x = torch.flatten(x, 1)
        for (name, out, relu, drop_in) in self.fc_rows:
            if self.dropout and drop_in > 0:
                x = F.dropout(x, drop_in, self.training)
            x = self.layers[name](x)
            if relu:
                x = F.relu(x)
        return x


ARCHS = {
    "alexnet": dict(crop=227, file={}, convs=[
        ("conv1", 96, 11, 4, 0, 1, True, True), ("conv2", 256, 5, 1, 2, 2, True, True),
        ("conv3", 384, 3, 1, 1, 1, False, False), ("conv4", 384, 3, 1, 1, 2, False, False),
        ("conv5", 256, 3, 1, 1, 2, False, True)],
        fcs=[("fc6", 4096, True, 0.0), ("fc7", 4096, True, 0.5), ("fc8", 0, False, 0.5)]),
    "alexnet-torchvision": dict(crop=224, file={"conv1": "features.0", "conv2": "features.3",
        "conv3": "features.6", "conv4": "features.8", "conv5": "features.10", "fc6": "classifier.1",
        "fc7": "classifier.4", "fc8": "classifier.6"}, convs=[
        ("conv1", 64, 11, 4, 2, 1, False, True), ("conv2", 192, 5, 1, 2, 1, False, True),
        ("conv3", 384, 3, 1, 1, 1, False, False), ("conv4", 256, 3, 1, 1, 1, False, False),
        ("conv5", 256, 3, 1, 1, 1, False, True)],
        fcs=[("fc6", 4096, True, 0.5), ("fc7", 4096, True, 0.5), ("fc8", 0, False, 0.0)]),
    "alexnet-mini": dict(crop=28, file={}, convs=[
        ("conv1", 32, 5, 1, 2, 1, True, True), ("conv2", 64, 5, 1, 2, 2, True, True),
        ("conv3", 96, 3, 1, 1, 1, False, False), ("conv4", 96, 3, 1, 1, 2, False, False),
        ("conv5", 64, 3, 1, 1, 2, False, True)],
        fcs=[("fc6", 512, True, 0.0), ("fc7", 512, True, 0.5), ("fc8", 0, False, 0.5)]),
}
# Caffe's bvlc_alexnet: the paper's table with LRN bias 1 (its input is BGR; the twin takes
# tensors, so that does not show here).
ARCHS["alexnet-caffe"] = dict(ARCHS["alexnet"], lrn_k=1.0)
