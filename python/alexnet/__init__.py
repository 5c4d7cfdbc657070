"""AlexNet (Krizhevsky, Sutskever and Hinton, 2012) on oneDNN, from Python.

The same engine, files and training run as the ``alexnet`` command::

    import alexnet
    model = alexnet.load("runs/fashion-mnist/best.safetensors")
    logits = model(x)                        # float32 [N, 3, C, C] -> [N, classes]
    model.predict(["shoe.png"], topk=3)      # what `alexnet predict --json` prints, as dicts
    fc7 = model.features(["a.jpg", "b.jpg"]) # [2, 4096]
    alexnet.train(data="/usr/share/datasets/fashion-mnist", out="runs/fm", epochs=3)

Weights: .safetensors (native), PyTorch .pth/.pt, .onnx and Caffe .caffemodel; the
architecture, class names and input normalisation come from the file.

Errors: a missing file is FileNotFoundError (an unreadable one OSError), anything else a user
can get wrong ValueError or TypeError, each with the command's one-line message. The engine runs
without the GIL: other Python threads keep running while it computes.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence, Union

import numpy as np

from . import _alexnet

__all__ = ["Model", "TrainResult", "load", "convert", "train", "architectures"]
__version__ = "1.0.0"

PathLike = Union[str, "os.PathLike[str]"]
Image = Union[PathLike, bytes, bytearray, np.ndarray]


def _readable_file(path: PathLike) -> str:
    """The path as a string; FileNotFoundError or OSError, worded as the command words them."""
    path = os.fspath(path)
    if not isinstance(path, str):
        raise TypeError(f"expected a path as str or os.PathLike, got {type(path).__name__}")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path}: is a directory, expected a file")
    if not os.access(path, os.R_OK):
        raise PermissionError(f"{path}: cannot open: Permission denied")
    return path


def _existing(path: PathLike) -> str:
    """A file or directory that must exist (data sets, run directories)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file or directory")
    return path


def _as_array(x: Any) -> np.ndarray:
    """numpy arrays as they are; anything with __array__ or __dlpack__ (a torch tensor) through numpy."""
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "__array__"):
        try:
            return np.asarray(x)
        except Exception as e:  # e.g. a tensor that requires grad
            raise TypeError(f"cannot read {type(x).__name__} as an array: {e}") from None
    if hasattr(x, "__dlpack__"):
        return np.from_dlpack(x)
    raise TypeError(f"expected a numpy array (or a tensor with __array__/__dlpack__), got {type(x).__name__}")


def _image_list(images: Image | Iterable[Image]) -> list:
    """One image or a sequence of them, as a list of str paths, bytes and uint8 arrays."""
    if isinstance(images, (str, bytes, bytearray, os.PathLike)) or (
        isinstance(images, np.ndarray) and images.dtype == np.uint8
    ):
        images = [images]
    items = []
    for item in images:
        if isinstance(item, (str, os.PathLike)):
            item = _readable_file(item)
        elif not isinstance(item, (bytes, bytearray, np.ndarray)) and hasattr(item, "__array__"):
            item = _as_array(item)
        items.append(item)
    return items


class Model:
    """A trained AlexNet, ready to infer: ``model(x)``, ``predict``, ``features``, ``save``.

    Made by :func:`load`. One model may be called from several threads: calls take turns
    (each already uses all of ``threads``), and other Python threads run meanwhile.
    """

    def __init__(self, engine: _alexnet.Model):
        self._engine = engine

    @property
    def arch(self) -> str:
        """The architecture: 'alexnet', 'alexnet-torchvision' or 'alexnet-mini'."""
        return self._engine.arch

    @property
    def classes(self) -> list[str] | None:
        """The class names the weights carry (or were given), None when unnamed."""
        return self._engine.class_names

    @classes.setter
    def classes(self, names: Sequence[str] | None) -> None:
        self._engine.class_names = list(names or [])

    @property
    def num_classes(self) -> int:
        """The number of classes (the last layer's outputs)."""
        return self._engine.num_classes

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(3, C, C): one sample as ``model(x)`` takes it (C = 227, 224 or 32)."""
        return self._engine.input_shape

    @property
    def mean(self) -> tuple[float, float, float]:
        """Per-channel (R, G, B) mean subtracted from 0-255 pixels before the network."""
        return self._engine.mean

    @property
    def std(self) -> tuple[float, float, float]:
        """Per-channel (R, G, B) divisor after the mean, on the 0-255 scale."""
        return self._engine.std

    @property
    def mean_image(self) -> np.ndarray | None:
        """The paper's per-pixel mean image (S x S x 3, 0-255) when the weights carry one."""
        return self._engine.mean_image

    @property
    def threads(self) -> int:
        """The compute threads every call uses."""
        return self._engine.threads

    @property
    def layers(self) -> list[str]:
        """The layers' names, input to output (what ``features(layer=...)`` accepts)."""
        return self._engine.layer_names

    def __call__(self, x: Any) -> np.ndarray:
        """Logits float32 [N, classes] of x, a normalised float array [N, 3, C, C] or [3, C, C].

        A C-contiguous float32 array is read in place (no copy); other float arrays are
        converted; integer arrays are refused with TypeError (images go through ``predict``
        or ``features``); a shape that does not fit is ValueError. Bit for bit what
        ``alexnet predict --json --logits`` gives for the same .npy on the same threads.
        """
        return self._engine.forward(_as_array(x))

    def predict(self, images: Image | Iterable[Image], topk: int = 5, ten_crop: bool = False,
                logits: bool = False) -> list[dict]:
        """Classifies images through the test-time pipeline: one dict per sample.

        ``images``: one or a list of paths (images, or .npy tensors fed as they are), encoded
        bytes (JPEG, PNG, ...) or uint8 arrays H x W x 3 (RGB) or H x W (gray). Each dict is
        one line of ``alexnet predict --json``: ``{"input", "index", "top": [{"class", "prob",
        "name"?}], "logits"?}``; bytes and arrays are named "<bytes #i>" / "<array #i>" by their
        position. ``ten_crop`` averages the softmax of the 10 crops (no logits then).
        """
        lines = self._engine.predict(_image_list(images), int(topk), bool(ten_crop), bool(logits))
        return [json.loads(line) for line in lines]

    def features(self, x_or_images: Any, layer: str = "fc7") -> np.ndarray:
        """One layer's output (after its ReLU) as float32 [N, ...]: fc7 gives [N, 4096].

        ``x_or_images``: a normalised float array as ``model(x)`` takes it, or images as
        ``predict`` takes them (through the test-time centre crop). ``layer``: one of
        ``model.layers`` (conv1 ... fc8).
        """
        if isinstance(x_or_images, np.ndarray) and x_or_images.dtype != np.uint8:
            return self._engine.features(x_or_images, layer)
        if not isinstance(x_or_images, (np.ndarray, str, bytes, bytearray, os.PathLike, list, tuple)) and (
            hasattr(x_or_images, "__array__") or hasattr(x_or_images, "__dlpack__")
        ):
            return self._engine.features(_as_array(x_or_images), layer)
        return self._engine.features(_image_list(x_or_images), layer)

    def save(self, path: PathLike) -> None:
        """Writes the weights as .safetensors (atomically), with the architecture, class names
        and normalisation in the metadata."""
        self._engine.save(os.fspath(path))

    def export_onnx(self, path: PathLike) -> None:
        """Writes an ONNX graph (opset 13) that ONNX Runtime, OpenCV and PyTorch run."""
        self._engine.export_onnx(os.fspath(path))

    def __repr__(self) -> str:
        c, s, _ = self.input_shape
        return f"<alexnet.Model {self.arch}: {self.num_classes} classes, input 3x{s}x{s}, {self.threads} threads>"


def load(path: PathLike, threads: int | None = None, arch: str | None = None,
         classes: Sequence[str] | PathLike | None = None) -> Model:
    """Opens weights for inference, as ``alexnet predict --weights PATH`` does.

    ``path``: .safetensors, .pth/.pt (a torchvision or ``alexnet`` state dict), .onnx or
    .caffemodel; the architecture and normalisation come from the file. ``threads``: compute
    threads (default: all cores, or as many as a CPU quota allows). ``arch``: only for files that do not say theirs.
    ``classes``: class names, a list or a file of one name per line (default: the file's).
    """
    engine = _alexnet.Model(_readable_file(path), arch or "", int(threads or 0))
    model = Model(engine)
    if classes is not None:
        if isinstance(classes, (str, os.PathLike)):
            with open(_readable_file(classes), encoding="utf-8") as f:
                classes = [line.rstrip("\r\n") for line in f]
        model.classes = classes
    return model


def convert(src: PathLike, dst: PathLike, arch: str | None = None, prototxt: PathLike | None = None,
            mean: PathLike | None = None) -> str:
    """Weights from one format to another, as ``alexnet convert``: returns "SRC -> DST (...)".

    ``src``: .safetensors, .pth/.pt, .onnx or .caffemodel; ``dst``: .safetensors or .onnx.
    Caffe models may bring their deploy ``prototxt`` (checked) and ``mean`` image (.binaryproto).
    """
    return _alexnet.convert(_readable_file(src), os.fspath(dst), arch or "",
                            _readable_file(prototxt) if prototxt else "", _readable_file(mean) if mean else "")


def architectures() -> list[str]:
    """The architectures this build knows (alexnet, alexnet-torchvision, alexnet-mini, ...)."""
    return _alexnet.arch_names()


@dataclass
class TrainResult:
    """What :func:`train` leaves: the run directory, its best weights and its records."""

    status: str                 # "done", "stopped" (the callback returned False) or "diverged"
    out: str                    # the run directory (resume it with train(resume=out))
    weights: str                # best.safetensors: the epoch with the best validation top-1
    epochs: list[dict] = field(default_factory=list)  # metrics.jsonl's epoch records

    def load(self, threads: int | None = None) -> Model:
        """The best weights, opened for inference."""
        return load(self.weights, threads=threads)


_NEGATED = {"pca": "no-pca", "flip": "no-flip"}
_PATHS = ("data", "val", "stats", "init_from", "resume")


def _train_args(flags: Mapping[str, Any]) -> list[str]:
    """Keyword arguments as the command's flags: data="d" -> --data d, pca=False -> --no-pca."""
    known = dict(_alexnet.train_flags())
    args: list[str] = []
    for key, value in flags.items():
        if value is None:
            continue
        name = key.replace("_", "-")
        if key in _NEGATED and isinstance(value, bool):
            if not value:
                args.append("--" + _NEGATED[key])
            continue
        if name not in known:
            raise TypeError(f"train() got an unexpected keyword argument '{key}'")
        if known[name]:  # a switch
            if not isinstance(value, bool):
                raise TypeError(f"train(): {key} is a switch, True or False; got {value!r}")
            if value:
                args.append("--" + name)
            continue
        if key in _PATHS:
            value = _existing(value)
        if key == "time_budget" and isinstance(value, (int, float)):
            value = f"{value}s"
        values = value if isinstance(value, (list, tuple)) else [value]
        if not values:
            continue
        args.append("--" + name)
        args.extend(os.fspath(v) if isinstance(v, os.PathLike) else str(v) for v in values)
    return args


def train(data: PathLike | None = None, out: PathLike | None = None, arch: str | None = None, *,
          callback: Callable[[dict], Any] | None = None, every: int = 0, **flags: Any) -> TrainResult:
    """Trains as ``alexnet train`` does: the same run directory, resumable, deterministic.

    ``data``: an image folder, a list file or an IDX directory (e.g.
    /usr/share/datasets/fashion-mnist); ``out``: the run directory; ``arch``: alexnet,
    alexnet-torchvision or alexnet-mini (default: mini). Every other flag of the command is a
    keyword: ``epochs=3``, ``batch=64``, ``lr=0.01``, ``time_budget="12m"`` (or seconds),
    ``limit=1000``, ``pca=False`` (``--no-pca``), ``resume="runs/fm"``, ``threads=2``, ...

    ``callback(record)`` gets each record the run logs to metrics.jsonl (one per epoch, with
    ``val_top1_error`` and the rest) and, with ``every=N``, a step record every N steps;
    returning False stops the run at that point. Progress prints as the command prints it.
    Ctrl-C (KeyboardInterrupt), or an exception in the callback, stops the run at a clean
    point, writes a checkpoint, and is raised: ``train(resume=out)`` continues exactly.
    """
    flags = dict(flags, data=data, out=out, arch=arch)
    if callback is not None and not callable(callback):
        raise TypeError("train(): callback must be callable")
    summary = _alexnet.train(_train_args(flags), callback, int(every))
    run = summary["out"]
    epochs = []
    log = os.path.join(run, "metrics.jsonl")
    if os.path.exists(log):
        with open(log, encoding="utf-8") as f:
            epochs = [r for r in map(json.loads, f) if r.get("type") == "epoch"]
    return TrainResult(summary["status"], run, os.path.join(run, "best.safetensors"), epochs)
