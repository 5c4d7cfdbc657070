#!/usr/bin/python3
"""Writes tests/data/interop/: alexnet-mini with the golden weights (tools/make_golden.py's hash
pattern, so tests/data/golden_alexnet-mini.safetensors holds the logits they must give) in the
files users bring, written by PyTorch itself. Run by hand with Debian's python3-torch and
python3-onnx (not needed in CI):

    /usr/bin/python3 tools/make_interop_fixtures.py

  mini.pth          torch.save(state_dict): float32, the zip format
  mini_half.pth     four of its tensors in float16 (read back as float32)
  mini_views.pth    four of its tensors as views: conv1's weight and bias slices at offsets
                    into one shared storage, fc8's weight transposed (non-contiguous strides)
                    and its bias a strided slice
  (The last two hold a few tensors, not the net: the tests compare them with mini.pth's,
  which keeps the committed fixtures small.)
  mini_legacy.pth   the pre-1.6 format (_use_new_zipfile_serialization=False), one tensor:
                    refused clearly
  evil.pth          a torch-shaped zip whose data.pkl calls os.system: must never run
  mini.onnx         torch.onnx.export of the net, LRN exported as the ONNX LRN op
"""
import io, os, pickle, sys, zipfile
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_alexnet  # noqa: E402
from make_golden import ARCHS, Net, fill, param_order  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "interop")


def golden_mini():
    spec = ARCHS["alexnet-mini"]
    net = Net(spec["convs"], spec["fcs"], 10, spec["crop"])
    fill(net, spec)
    return net.eval(), spec


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/alexnet_evil_pth_ran",))


def main():
    os.makedirs(OUT, exist_ok=True)
    net, spec = golden_mini()
    sd = {name: t.detach().clone() for name, t in param_order(net, spec)}
    torch.save(sd, os.path.join(OUT, "mini.pth"))
    few = ["conv1.weight", "conv1.bias", "fc8.weight", "fc8.bias"]
    torch.save({k: sd[k].half() for k in few}, os.path.join(OUT, "mini_half.pth"))
    # Views: conv1's weight and bias at offsets in one storage between filler values, fc8's
    # weight stored transposed ([in, out] memory, [out, in] view), its bias every other value.
    w, b = sd["conv1.weight"], sd["conv1.bias"]
    shared = torch.cat([torch.full((3,), 7.0), w.reshape(-1), torch.full((5,), 9.0), b])
    views = {
        "conv1.weight": shared[3:3 + w.numel()].view(w.shape),
        "conv1.bias": shared[8 + w.numel():],
        "fc8.weight": sd["fc8.weight"].t().contiguous().t(),
        "fc8.bias": torch.stack([sd["fc8.bias"], torch.full_like(sd["fc8.bias"], 9.0)], 1)[:, 0],
    }
    torch.save(views, os.path.join(OUT, "mini_views.pth"))
    # The legacy format is only refused, so one small tensor shows it as well as the whole net.
    torch.save({"conv1.bias": sd["conv1.bias"]}, os.path.join(OUT, "mini_legacy.pth"),
               _use_new_zipfile_serialization=False)
    with zipfile.ZipFile(os.path.join(OUT, "evil.pth"), "w", zipfile.ZIP_STORED) as z:
        z.writestr("evil/data.pkl", pickle.dumps({"conv1.weight": Evil()}, protocol=2))
        z.writestr("evil/version", "3\n")
    # ONNX: the twin with the LRN op, exported with a dynamic batch.
    torch_alexnet.lrn = torch_alexnet.NativeLrn
    x = torch.zeros(1, 3, 28, 28)
    torch.onnx.export(net, x, os.path.join(OUT, "mini.onnx"), opset_version=13, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    for f in sorted(os.listdir(OUT)):
        print(f, os.path.getsize(os.path.join(OUT, f)))


if __name__ == "__main__":
    main()
