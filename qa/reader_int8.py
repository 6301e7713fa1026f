"""An int8 copy of a question-answering model for ONNX Runtime, built once and cached.

Why ONNX Runtime and not PyTorch's own dynamic quantization: on the same reader and the
same 766 validation-slice questions (training side, never the held-out benchmark),
PyTorch's per-tensor int8 lost 2.8 F1 points and its per-channel int8 1.5, while ONNX
Runtime's per-channel int8 lost 0.4 and ran faster (5 passages of 200 tokens, 2 threads:
128 ms against 136 ms for PyTorch int8 and 177 ms for PyTorch fp32).

The copy is made from the model directory the first time it is asked for (export through
PyTorch's TorchScript-based ONNX exporter, then `onnxruntime.quantization.quantize_dynamic`
with per-channel int8 weights; the span head stays float32), which takes a few seconds, and
is kept in the user's cache directory under a key made from the model's files and the
library versions: a retrained reader or a new exporter never reuses a stale copy. Nothing
is downloaded. Writes are atomic, so an interrupted build leaves no broken file behind.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
from pathlib import Path

from qa.encoders import CACHE_ENV, cache_dir, load_qa_model
from qa.errors import NewsQAError

RECIPE = "onnx-int8-per-channel-v1"  # bump when the export or quantization settings change
# a LoRA reader's base is pinned by its name and the base package's sha256 check
MODEL_FILES = (
    "config.json",
    "model.safetensors",
    "pytorch_model.bin",
    "adapter_config.json",
    "adapter_model.safetensors",
)


class Int8Unavailable(NewsQAError):
    """ONNX Runtime (or onnx) is missing, or the model could not be exported."""


def cache_key(model_dir: Path, recipe: str = RECIPE) -> str:
    """A digest of the model's weights and config, the recipe and the library versions."""
    import onnxruntime
    import torch

    digest = hashlib.sha256(f"{recipe}|torch {torch.__version__}|ort {onnxruntime.__version__}".encode())
    for name in MODEL_FILES:
        path = model_dir / name
        if path.exists():
            digest.update(name.encode())
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:24]


def int8_model(model_dir: Path, input_names: list[str]) -> Path:
    """The cached int8 ONNX file for `model_dir`, built first if absent."""
    try:
        import onnxruntime  # noqa: F401  (fail here, with a clear message, not mid-export)
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise Int8Unavailable(
            f"int8 precision needs onnxruntime and onnx ({exc}); pip install onnxruntime onnx"
        ) from exc
    target = cache_dir() / "reader-int8" / f"{cache_key(model_dir)}.onnx"
    if target.exists():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Int8Unavailable(f"cannot write the int8 model cache at {target.parent} ({exc}); set {CACHE_ENV}") from exc
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        _export(model_dir, input_names, fp32)
        quantized = Path(tmp) / "int8.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            logging.disable(logging.WARNING)  # it logs advice meant for image models to the root logger
            try:
                quantize_dynamic(
                    fp32,
                    quantized,
                    weight_type=QuantType.QInt8,
                    per_channel=True,
                    nodes_to_exclude=_head_nodes(fp32),
                )
            finally:
                logging.disable(logging.NOTSET)
        os.replace(quantized, target)
    return target


def int8_session(model_dir: Path, input_names: list[str], threads: int):
    """An ONNX Runtime session over the int8 copy, on `threads` intra-op threads."""
    path = int8_model(model_dir, input_names)  # first: it turns a missing onnxruntime into a clear error
    return ort_session(path, threads)


def ort_session(path: Path, threads: int):
    """An ONNX Runtime session over the model file `path` on `threads` intra-op threads (CPU)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # idle workers sleep instead of spinning: on 2 cores spinning competes with the thread
    # feeding it (125 ms against 134 ms per question, 5 passages) and burns CPU between questions
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # errors only: its optimizer notes are not for users
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _export(model_dir: Path, input_names: list[str], out: Path) -> None:
    """fp32 ONNX graph with dynamic batch and sequence axes, outputs start and end logits."""
    import torch

    class Logits(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            out = self.model(**dict(zip(input_names, inputs)))
            return out.start_logits, out.end_logits

    sample = tuple(torch.ones((2, 8), dtype=torch.long) for _ in input_names)
    axes = {name: {0: "batch", 1: "tokens"} for name in input_names}
    axes.update({name: {0: "batch", 1: "tokens"} for name in ("start_logits", "end_logits")})
    try:
        # eager attention exports as plain matmuls, which ONNX Runtime fuses and quantizes;
        # the SDPA export measured 25 % slower in fp32
        model = load_qa_model(model_dir, dtype=torch.float32, attn_implementation="eager").eval()
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Logits(model),
                sample,
                str(out),
                input_names=input_names,
                output_names=["start_logits", "end_logits"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
    except Exception as exc:  # not a QA model, or an architecture the exporter cannot trace
        raise Int8Unavailable(f"could not export {model_dir} to ONNX: {type(exc).__name__}: {exc}") from exc


def _head_nodes(path: Path) -> list[str]:
    """The span head's nodes: kept in float32, as they turn hidden states into the scores."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    return [node.name for node in graph.node if "qa_outputs" in node.name]
