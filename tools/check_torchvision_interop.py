#!/usr/bin/python3
"""By hand (docs/interop.md): the full-size torchvision AlexNet, as
torchvision.models.alexnet builds it (features / AdaptiveAvgPool2d((6, 6)) / classifier; Debian
has no python3-torchvision, so the module is spelled out here), with random weights:

  1. torch.save(state_dict) -> tv.pth, and torch.onnx.export -> tv_torch.onnx
  2. `alexnet predict --logits` on both, against PyTorch's logits
  3. `alexnet convert tv.pth tv_ours.onnx`, then ONNX Runtime (bench/ort_logits.js) on both
     ONNX files, against PyTorch's logits

Prints the largest relative difference of each. Needs a build, python3-torch, and
bench/node_modules (npm install in bench/).
"""
import json, os, subprocess, sys, tempfile
import numpy as np
import torch
import torch.nn as nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
ALEXNET = os.path.join(ROOT, "build", "alexnet")


class TorchvisionAlexNet(nn.Module):
    """torchvision/models/alexnet.py's AlexNet, module for module (so state-dict names agree)."""

    def __init__(self, num_classes=1000):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def rel(a, b):
    a, b = np.asarray(a, np.float64).reshape(-1), np.asarray(b, np.float64).reshape(-1)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def ours(weights, npy):
    out = subprocess.run([ALEXNET, "predict", "--json", "--logits", "--weights", weights, npy],
                         check=True, capture_output=True, text=True).stdout
    return [json.loads(line)["logits"] for line in out.splitlines()]


def ort(model, raw, n):
    out = subprocess.run(["node", os.path.join(ROOT, "bench", "ort_logits.js"), model, raw, str(n), "224"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    with tempfile.TemporaryDirectory(prefix="alexnet-tv-interop-") as tmp:  # ~0.9 GB of weights
        torch.manual_seed(0)
        net = TorchvisionAlexNet().eval()
        x = torch.randn(2, 3, 224, 224)
        with torch.no_grad():
            want = net(x).numpy()
        pth, tonnx, oonnx = (os.path.join(tmp, f) for f in ("tv.pth", "tv_torch.onnx", "tv_ours.onnx"))
        torch.save(net.state_dict(), pth)
        torch.onnx.export(net, x[:1], tonnx, opset_version=13, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
        npy, raw = os.path.join(tmp, "x.npy"), os.path.join(tmp, "x.f32")
        np.save(npy, x.numpy())
        x.numpy().astype("<f4").tofile(raw)
        subprocess.run([ALEXNET, "convert", pth, oonnx], check=True, capture_output=True)
        print(f"torch {torch.__version__}; max |difference| / max |logit| against PyTorch:")
        print(f"  alexnet predict, tv.pth (torch.save):             {rel(ours(pth, npy), want):.2e}")
        print(f"  alexnet predict, tv_torch.onnx (torch.onnx):      {rel(ours(tonnx, npy), want):.2e}")
        print(f"  ONNX Runtime, tv_torch.onnx:                      {rel(ort(tonnx, raw, 2), want):.2e}")
        print(f"  ONNX Runtime, tv_ours.onnx (alexnet convert):     {rel(ort(oonnx, raw, 2), want):.2e}")


if __name__ == "__main__":
    sys.exit(main())
