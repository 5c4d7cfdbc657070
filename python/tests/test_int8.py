"""int8 weights from Python: an int8 file loads as alexnet.load loads any, its QDQ ONNX graph
means what the engine computes (checked by an evaluator of the ONNX operators written here
with PyTorch, apart from the engine), and a QDQ graph as other quantizers write it (int8
activations, ReLUs dropped before a QuantizeLinear) loads back as int8."""
import json
import struct

import numpy as np
import pytest

import alexnet
from conftest import golden_weights, pattern, read_safetensors, run_command

onnx = pytest.importorskip("onnx")
torch = pytest.importorskip("torch")
F = torch.nn.functional
from onnx import helper, numpy_helper  # noqa: E402


def write_int8_safetensors(path, f32_path):
    """The weights of f32_path quantized by kernels/quant.hpp's rule: 7-bit weights per output
    channel, each layer's input scale chosen by hand (the test needs a rule, not a good range)."""
    tensors, meta = read_safetensors(f32_path)
    out = {}
    for name, w in tensors.items():
        out[name] = ("F32", w)
        if name.endswith(".weight"):
            t = name[: -len(".weight")]
            scale = (np.abs(w.reshape(w.shape[0], -1)).max(axis=1) / 63).astype(np.float32)
            q = np.clip(np.round(w / scale.reshape(-1, *[1] * (w.ndim - 1))), -63, 63).astype(np.int8)
            first = t == "conv1"
            out[name] = ("I8", q)
            out[t + ".weight_scale"] = ("F32", scale)
            out[t + ".input_scale"] = ("F32", np.array([0.03 if first else 0.02], np.float32))
            out[t + ".input_zero_point"] = ("U8", np.array([128 if first else 0], np.uint8))
    header, blobs, off = {}, [], 0
    for name, (dtype, a) in out.items():
        b = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = dict(meta, precision="int8")
    h = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    return str(path)


def evaluate(model, x):
    """The graph's output for input x, each operator as the ONNX specification defines it
    (QuantizeLinear rounds half to even and saturates), the products in float64."""
    v = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
    v[model.graph.input[0].name] = torch.from_numpy(x)
    for n in model.graph.node:
        a = {at.name: helper.get_attribute_value(at) for at in n.attribute}
        i = [v[name] for name in n.input]
        if n.op_type == "QuantizeLinear":
            lo, hi = (0, 255) if i[2].dtype == torch.uint8 else (-128, 127)
            y = torch.clamp(torch.round(i[0] / i[1]) + i[2].float(), lo, hi).to(i[2].dtype)
        elif n.op_type == "DequantizeLinear":
            shape = [1] * i[0].dim()
            if i[1].dim() == 1:
                shape[a.get("axis", 1) if i[0].dim() > 1 else 0] = -1
            y = ((i[0].double() - i[2].double().reshape(shape)) * i[1].double().reshape(shape)).float()
        elif n.op_type == "Conv":
            y = F.conv2d(i[0].double(), i[1].double(), i[2].double(), a["strides"], a["pads"][0], 1, a["group"]).float()
        elif n.op_type == "Relu":
            y = F.relu(i[0])
        elif n.op_type == "LRN":
            y = F.local_response_norm(i[0].double(), a["size"], a["alpha"], a["beta"], a["bias"]).float()
        elif n.op_type == "MaxPool":
            y = F.max_pool2d(i[0], a["kernel_shape"], a["strides"])
        elif n.op_type == "Flatten":
            y = torch.flatten(i[0], 1)
        elif n.op_type == "Gemm":
            y = (i[0].double() @ i[1].double().T + i[2].double()).float()
        else:
            raise ValueError(n.op_type)
        v[n.output[0]] = y
    return v[model.graph.output[0].name].numpy()


def relative(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


@pytest.fixture(scope="module")
def int8_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("int8")
    return write_int8_safetensors(d / "mini8.safetensors", golden_weights("alexnet-mini", 10, d / "mini.safetensors"))


@pytest.fixture(scope="module")
def x():
    return pattern(6 * 3 * 28 * 28, 5, 4.0).reshape(6, 3, 28, 28)


def test_the_qdq_graph_computes_what_the_engine_does(int8_file, x, tmp_path):
    model = alexnet.load(int8_file, threads=2)
    logits = model(x)
    f32 = alexnet.load(int8_file.replace("mini8", "mini"), threads=2)(x)
    assert relative(logits, f32) > 1e-3  # int8 is not f32
    model.export_onnx(str(tmp_path / "mini8.onnx"))
    graph = onnx.load(str(tmp_path / "mini8.onnx"))
    ops = [n.op_type for n in graph.graph.node]
    assert ops.count("Conv") == 5 and ops.count("Gemm") == 3 and ops.count("QuantizeLinear") >= 8
    assert relative(logits, evaluate(graph, x)) < 1e-5
    again = alexnet.load(str(tmp_path / "mini8.onnx"), threads=2)
    assert np.array_equal(again(x), logits)


def as_other_quantizers_write_it(graph):
    """The graph with s8 activations (zero points moved by -128) and the ReLUs that feed only a
    QuantizeLinear dropped, as ONNX Runtime's quantizer leaves them."""
    inits = {t.name: t for t in graph.graph.initializer}
    for t in list(inits.values()):
        if t.name.endswith(".input_zero_point"):
            z = numpy_helper.to_array(t).astype(np.int16) - 128
            t.CopyFrom(numpy_helper.from_array(z.astype(np.int8), t.name))
    nodes = list(graph.graph.node)
    readers = {}
    for n in nodes:
        for i in n.input:
            readers.setdefault(i, []).append(n)
    for n in nodes:
        if n.op_type == "Relu" and all(r.op_type == "QuantizeLinear" for r in readers.get(n.output[0], [])):
            for r in readers[n.output[0]]:
                r.input[0] = n.input[0]
            graph.graph.node.remove(n)
    return graph


def test_a_qdq_graph_made_elsewhere_loads_as_int8(int8_file, x, tmp_path):
    alexnet.load(int8_file, threads=2).export_onnx(str(tmp_path / "ours.onnx"))
    graph = as_other_quantizers_write_it(onnx.load(str(tmp_path / "ours.onnx")))
    ops = [n.op_type for n in graph.graph.node]
    assert ops.count("Relu") == 2  # conv1 and conv2 feed their LRN
    onnx.checker.check_model(graph)
    onnx.save(graph, str(tmp_path / "theirs.onnx"))
    theirs = alexnet.load(str(tmp_path / "theirs.onnx"), threads=2)
    assert relative(theirs(x), evaluate(graph, x)) < 1e-5
    report = json.loads(run_command("bench", "--weights", tmp_path / "theirs.onnx", "--batch", "2", "--reps", "1",
                                    "--warmup", "0", "--layers", "--json"))
    precision = {layer["layer"]: layer["precision"] for layer in report["layers"]}
    assert all(precision[name] == "int8" for name in ("conv1", "conv3", "fc6", "fc8")), precision


def test_hostile_qdq_graphs_are_one_line_errors(int8_file, tmp_path):
    alexnet.load(int8_file, threads=2).export_onnx(str(tmp_path / "ours.onnx"))
    cases = {
        "a zero scale": ("conv2.weight_scale", lambda a: np.where(np.arange(a.size) == 3, 0, a).astype(np.float32),
                         "must be finite and positive"),
        "a NaN scale": ("fc6.input_scale", lambda a: np.float32(np.nan), "must be finite and positive"),
        "scales of the wrong length": ("conv3.weight_scale", lambda a: a[:-1], "one per output channel"),
        "u8 weights": ("fc7.weight", lambda a: (a.astype(np.int16) + 128).astype(np.uint8), "only symmetric int8"),
        "weights of the wrong shape": ("conv4.weight", lambda a: a[:, :-1], "conv4"),
    }
    for what, (name, change, message) in cases.items():
        graph = onnx.load(str(tmp_path / "ours.onnx"))
        t = next(t for t in graph.graph.initializer if t.name == name)
        t.CopyFrom(numpy_helper.from_array(np.asarray(change(numpy_helper.to_array(t))), name))
        path = tmp_path / "bad.onnx"
        onnx.save(graph, str(path))
        with pytest.raises(ValueError, match=message) as e:
            alexnet.load(str(path), threads=2)
        assert "\n" not in str(e.value) and "bad.onnx" in str(e.value), what
