"""alexnet.load and Model: against PyTorch's goldens, against the command bit for bit, and
every kind of bad input a user can pass."""
import json
import os
import threading
import time

import numpy as np
import pytest

import alexnet
from conftest import (BINARY, TEST_DATA, golden_weights, pattern, png_bytes, read_safetensors, run_command,
                      textured_image)


@pytest.mark.parametrize("arch", ["alexnet-mini", "alexnet-torchvision", "alexnet"])
def test_logits_equal_pytorch_golden(arch, tmp_path):
    golden, meta = read_safetensors(os.path.join(TEST_DATA, f"golden_{arch}.safetensors"))
    classes, batch = int(meta["classes"]), int(meta["batch"])
    model = alexnet.load(golden_weights(arch, classes, tmp_path / "w.safetensors"), threads=2)
    c = model.input_shape[1]
    x = pattern(batch * 3 * c * c, 1, 4.0).reshape(batch, 3, c, c)
    logits = model(x)
    want = golden["logits"]
    assert logits.shape == want.shape and logits.dtype == np.float32
    np.testing.assert_allclose(logits, want, rtol=0, atol=1e-4 * np.abs(want).max())


def test_logits_equal_the_command_bit_for_bit(mini, mini_path, tmp_path):
    x = pattern(5 * 3 * 28 * 28, 9, 3.0).reshape(5, 3, 28, 28)
    np.save(tmp_path / "x.npy", x)
    out = run_command("predict", "--weights", mini_path, "--json", "--logits", "--threads", "2", tmp_path / "x.npy")
    command = np.array([json.loads(line)["logits"] for line in out.splitlines()], np.float32)
    assert np.array_equal(mini(x), command)


def test_what_the_weights_say(mini):
    assert mini.arch == "alexnet-mini"
    assert mini.num_classes == 10 and mini.classes is None
    assert mini.input_shape == (3, 28, 28)
    assert len(mini.mean) == 3 and len(mini.std) == 3 and mini.mean_image is None
    assert mini.threads == 2
    assert mini.layers[0] == "conv1" and "fc7" in mini.layers and mini.layers[-1] == "fc8"
    assert "alexnet-mini" in repr(mini)


def test_inputs_numpy_can_read(mini):
    x = pattern(4 * 3 * 28 * 28, 3, 2.0).reshape(4, 3, 28, 28)
    want = mini(x)
    assert np.array_equal(mini(x.astype(np.float64)), want)           # converted
    assert np.array_equal(mini(np.asfortranarray(x)), want)           # made contiguous
    assert np.array_equal(mini(x[1]), mini(x[1:2]))                      # one sample [3, C, C]

    class HasArray:
        def __array__(self, dtype=None):
            return x

    class HasDlpack:
        def __dlpack__(self, stream=None):
            return x.__dlpack__()

        def __dlpack_device__(self):
            return x.__dlpack_device__()

    assert np.array_equal(mini(HasArray()), want)
    assert np.array_equal(mini(HasDlpack()), want)
    before = x.copy()
    mini(x)
    assert np.array_equal(x, before)  # read in place, never written


def test_torch_tensors_when_torch_is_here(mini):
    torch = pytest.importorskip("torch")
    x = pattern(2 * 3 * 28 * 28, 3, 2.0).reshape(2, 3, 28, 28)
    assert np.array_equal(mini(torch.from_numpy(x)), mini(x))
    with pytest.raises(TypeError, match="requires grad"):
        mini(torch.from_numpy(x).requires_grad_())


@pytest.mark.parametrize("bad, error, message", [
    (np.zeros((2, 3, 28, 28), np.uint8), TypeError, "expected a float array"),
    (np.zeros((2, 3, 32, 32), np.float32), ValueError, r"shape \(2, 3, 32, 32\) does not fit alexnet-mini"),
    (np.zeros((2, 28, 28, 3), np.float32), ValueError, "does not fit"),
    (np.zeros((0, 3, 28, 28), np.float32), ValueError, "an empty batch"),
    (np.zeros(5, np.float32), ValueError, "does not fit"),
    (np.array(["a"]), TypeError, "expected a float array"),
    ("image.png", TypeError, "expected a numpy array"),
    (None, TypeError, "expected a numpy array"),
])
def test_bad_arrays_are_refused(mini, bad, error, message):
    with pytest.raises(error, match=message):
        mini(bad)


def test_bad_files_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.safetensors: no such file"):
        alexnet.load(tmp_path / "nope.safetensors")
    with pytest.raises(IsADirectoryError):
        alexnet.load(tmp_path)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    with pytest.raises(ValueError, match="junk.safetensors"):
        alexnet.load(junk)
    text = tmp_path / "weights.bin"
    text.write_text("hello")
    with pytest.raises(ValueError, match="weights.bin"):
        alexnet.load(text)
    with pytest.raises(ValueError, match="unknown architecture|alexnet-mini"):
        alexnet.load(os.path.join(TEST_DATA, "interop", "mini.onnx"), arch="vgg16")


def test_predict_equals_the_command(mini, mini_path, image_files):
    out = run_command("predict", "--weights", mini_path, "--json", "--topk", "3", "--threads", "2", *image_files)
    assert mini.predict(image_files, topk=3) == [json.loads(line) for line in out.splitlines()]
    out = run_command("predict", "--weights", mini_path, "--json", "--ten-crop", "--threads", "2", image_files[0])
    assert mini.predict(image_files[0], ten_crop=True) == [json.loads(out)]


def test_predict_takes_bytes_and_arrays(mini, image_files):
    by_path = mini.predict(image_files[1], logits=True)[0]
    by_bytes = mini.predict([open(image_files[1], "rb").read()], logits=True)[0]
    by_array = mini.predict(textured_image(2), logits=True)[0]
    assert by_bytes["input"] == "<bytes #0>" and by_array["input"] == "<array #0>"
    assert by_bytes["logits"] == by_path["logits"] == by_array["logits"]
    gray = mini.predict(textured_image(2)[:, :, 0])[0]  # H x W: grayscale repeated to RGB
    assert len(gray["top"]) == 5


def test_predict_with_class_names(mini_path, image_files, tmp_path):
    names = [f"class {i}" for i in range(10)]
    (tmp_path / "labels.txt").write_text("\n".join(names) + "\n")
    model = alexnet.load(mini_path, classes=tmp_path / "labels.txt")
    top = model.predict(image_files[0])[0]["top"]
    assert all(t["name"] == names[t["class"]] for t in top)
    with pytest.raises(ValueError, match="3 names for 10 classes"):
        model.classes = ["a", "b", "c"]


def test_predict_refuses_bad_images(mini, image_files, tmp_path):
    truncated = open(image_files[0], "rb").read()[:-12]  # no IEND: an upload cut short
    with pytest.raises(ValueError, match="<bytes #0>"):
        mini.predict([truncated])
    with pytest.raises(ValueError, match="<bytes #1>"):
        mini.predict([png_bytes(textured_image(1)), b"GIF89a not an image"])
    with pytest.raises(FileNotFoundError, match="missing.png: no such file"):
        mini.predict([tmp_path / "missing.png"])
    with pytest.raises(TypeError, match="uint8"):
        mini.predict(np.zeros((8, 8, 3), np.float32)[None])
    with pytest.raises(ValueError, match="not an image"):
        mini.predict(np.zeros((8, 8, 5), np.uint8))
    with pytest.raises(TypeError, match="item #0"):
        mini.predict([42])
    with pytest.raises(ValueError, match="topk"):
        mini.predict(image_files, topk=0)


def test_features_equal_the_command(mini, mini_path, image_files, tmp_path):
    run_command("features", "--weights", mini_path, "--threads", "2", "--out", tmp_path / "f.npy", *image_files)
    command = np.load(tmp_path / "f.npy")
    got = mini.features(image_files)
    assert got.shape == (3, 512) and np.array_equal(got, command)


def test_features_of_arrays_and_layers(mini):
    x = pattern(3 * 3 * 28 * 28, 5, 2.0).reshape(3, 3, 28, 28)
    assert mini.features(x, layer="conv1").shape == (3, 32, 28, 28)
    fc8 = mini.features(x, layer="fc8")
    np.testing.assert_array_equal(fc8, mini(x))  # fc8 has no ReLU: the logits
    with pytest.raises(ValueError, match="layer 'fc9' is unknown: alexnet-mini has conv1"):
        mini.features(x, layer="fc9")


def test_save_export_and_convert_round_trip(mini, mini_path, tmp_path):
    x = pattern(2 * 3 * 28 * 28, 4, 2.0).reshape(2, 3, 28, 28)
    mini.save(tmp_path / "copy.safetensors")
    assert np.array_equal(alexnet.load(tmp_path / "copy.safetensors", threads=2)(x), mini(x))
    mini.export_onnx(tmp_path / "copy.onnx")
    assert np.array_equal(alexnet.load(tmp_path / "copy.onnx", threads=2)(x), mini(x))
    line = alexnet.convert(mini_path, tmp_path / "c.onnx")
    assert line.endswith("(alexnet-mini, 10 classes)") and os.path.getsize(tmp_path / "c.onnx") > 0
    with pytest.raises(ValueError, match="write .safetensors or .onnx"):
        alexnet.convert(mini_path, tmp_path / "c.pth")
    with pytest.raises(ValueError, match="writes .safetensors"):
        mini.save(tmp_path / "w.bin")
    assert not os.path.exists(tmp_path / "w.bin")


def test_the_gil_is_released_while_the_engine_computes(mini):
    x = pattern(512 * 3 * 28 * 28, 6, 2.0).reshape(512, 3, 28, 28)
    mini(x)  # primitives made for this batch
    ticks, stop = [], threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(time.perf_counter())

    counter = threading.Thread(target=count)
    counter.start()
    time.sleep(0.05)
    start = time.perf_counter()
    mini(x)
    end = time.perf_counter()
    stop.set()
    counter.join()
    margin = (end - start) * 0.1
    inside = sum(start + margin < t < end - margin for t in ticks)
    assert inside > 100, f"{inside} ticks of the counting thread during a {end - start:.3f} s forward"


def test_two_threads_share_one_model(mini):
    inputs = [pattern(8 * 3 * 28 * 28, 20 + i, 2.0).reshape(8, 3, 28, 28) for i in range(2)]
    want = [mini(x) for x in inputs]
    wrong = []

    def work(i):
        for _ in range(15):
            if not np.array_equal(mini(inputs[i]), want[i]):
                wrong.append(i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []


def test_help_says_what_each_call_does():
    assert "safetensors" in alexnet.load.__doc__ and "threads" in alexnet.load.__doc__
    for f in (alexnet.Model.__call__, alexnet.Model.predict, alexnet.Model.features, alexnet.train, alexnet.convert):
        assert f.__doc__ and len(f.__doc__) > 80
    assert {"alexnet", "alexnet-torchvision", "alexnet-mini"} <= set(alexnet.architectures())
    assert os.path.exists(BINARY)
