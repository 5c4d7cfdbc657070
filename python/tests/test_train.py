"""alexnet.train: the command's run from Python, its callback, and Ctrl-C stopping at a checkpoint
that --resume continues to the same weights, bit for bit."""
import json
import os
import signal
import threading

import numpy as np
import pytest

import alexnet
from conftest import FASHION, pattern, run_command

if not os.path.isdir(FASHION):
    pytest.skip("Debian's dataset-fashion-mnist is not installed (tools/setup.sh installs it)",
                allow_module_level=True)

# A short run: 512 training images (8 steps of 64 an epoch), 3 epochs, 256 validation images.
FLAGS = dict(data=FASHION, arch="alexnet-mini", epochs=3, batch=64, limit=512, val_limit=256, threads=2,
             print_every=4)


def weights_of(run):
    return alexnet.load(os.path.join(run, "best.safetensors"), threads=2)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The same run by the command, uninterrupted."""
    out = tmp_path_factory.mktemp("cmd") / "run"
    run_command("train", "--data", FASHION, "--arch", "alexnet-mini", "--epochs", 3, "--batch", 64, "--limit", 512,
                "--val-limit", 256, "--threads", 2, "--print-every", 4, "--out", out)
    return str(out)


def final_weights(run):
    """Every parameter of the run's last checkpoint, as one array."""
    import struct
    with open(os.path.join(run, "checkpoint.safetensors"), "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    names = sorted(k for k in header if k != "__metadata__" and "/" not in k)
    return np.concatenate([np.frombuffer(data[slice(*header[k]["data_offsets"])], np.float32) for k in names])


def test_train_equals_the_command_and_reports_each_epoch(reference, tmp_path):
    records = []
    result = alexnet.train(out=tmp_path / "run", callback=records.append, every=2, **FLAGS)
    assert result.status == "done" and result.out == str(tmp_path / "run")
    assert [r["epoch"] for r in result.epochs] == [1, 2, 3]
    epochs = [r for r in records if r["type"] == "epoch"]
    assert epochs == result.epochs and all("val_top1_error" in r for r in epochs)
    steps = [r["global_step"] for r in records if r["type"] == "step"]
    with open(os.path.join(reference, "metrics.jsonl")) as f:
        command_log = [json.loads(line) for line in f]
    command_epochs = [r for r in command_log if r.get("type") == "epoch"]
    logged = {r["global_step"] for r in command_log if r.get("type") == "step"}  # every 4th of an epoch
    last = result.epochs[-1]["global_step"]
    assert steps == sorted(set(range(2, last + 1, 2)) | logged)  # every 2 steps, and what the log gets
    for mine, theirs in zip(result.epochs, command_epochs):
        assert mine["train_loss"] == theirs["train_loss"] and mine["val_top1_error"] == theirs["val_top1_error"]
    assert np.array_equal(final_weights(result.out), final_weights(reference))
    x = pattern(4 * 3 * 28 * 28, 2, 2.0).reshape(4, 3, 28, 28)
    assert np.array_equal(result.load(threads=2)(x), weights_of(reference)(x))


def test_ctrl_c_stops_at_a_checkpoint_that_resume_continues_exactly(reference, tmp_path):
    out = tmp_path / "run"
    interrupted = threading.Event()

    def ctrl_c_at_step_11(record):
        if record["type"] == "step" and record["global_step"] == 11 and not interrupted.is_set():
            interrupted.set()  # as a user's Ctrl-C arrives: from outside, while the engine computes
            threading.Timer(0.0, os.kill, (os.getpid(), signal.SIGINT)).start()

    with pytest.raises(KeyboardInterrupt):
        alexnet.train(out=out, callback=ctrl_c_at_step_11, every=1, **FLAGS)
    assert os.path.exists(out / "checkpoint.safetensors")
    result = alexnet.train(resume=out, threads=2)
    assert result.status == "done" and [r["epoch"] for r in result.epochs] == [1, 2, 3]
    assert np.array_equal(final_weights(str(out)), final_weights(reference))


def test_callback_false_stops_and_its_errors_are_raised(tmp_path):
    result = alexnet.train(out=tmp_path / "a", callback=lambda r: r["type"] != "epoch", **FLAGS)
    assert result.status == "stopped" and [r["epoch"] for r in result.epochs] == [1]

    def broken(record):
        raise RuntimeError("my callback broke")

    with pytest.raises(RuntimeError, match="my callback broke"):
        alexnet.train(out=tmp_path / "b", callback=broken, every=3, **FLAGS)
    assert os.path.exists(tmp_path / "b" / "checkpoint.safetensors")
    assert alexnet.train(resume=tmp_path / "b").status == "done"


def test_train_refuses_what_the_command_refuses(tmp_path):
    with pytest.raises(TypeError, match="unexpected keyword argument 'epochz'"):
        alexnet.train(data=FASHION, out=tmp_path / "r", epochz=3)
    with pytest.raises(FileNotFoundError, match="no such file or directory"):
        alexnet.train(data=tmp_path / "missing", out=tmp_path / "r")
    with pytest.raises(ValueError, match="--epochs"):
        alexnet.train(data=FASHION, out=tmp_path / "r", epochs="many")
    with pytest.raises(ValueError, match="unknown architecture|alexnet-mini"):
        alexnet.train(data=FASHION, out=tmp_path / "r", arch="resnet50")
    with pytest.raises(TypeError, match="switch"):
        alexnet.train(data=FASHION, out=tmp_path / "r", strict="yes")
    with pytest.raises(TypeError, match="callable"):
        alexnet.train(data=FASHION, out=tmp_path / "r", callback=3)
