"""The sentence embedder in ONNX Runtime, int8 when that keeps its vectors.

Embedding is what indexing costs (about 7 passages/s on a busy 2-core machine through
sentence-transformers). The same model exported to ONNX and quantized to int8
(per-channel weights, matrix products only: the embedding table stays float) embeds
2.5x as fast on 2 cores (`scripts/bench_embed.py`), with vectors at cosine 0.994 to the
torch ones on average (0.987 at worst over 512 BBC paragraphs). Retrieval compares
vectors made the same way, so an index and its queries always use one runtime.

Built on first use from the model's own files, never downloaded: export to ONNX (fp32),
quantize, then check both against sentence-transformers on `CHECK_TEXTS`. The int8 copy
is used when its mean cosine to the torch vectors is at least `COSINE_FLOOR`, otherwise
the fp32 export (same vectors as torch, 1.15x the speed). Both files and the check go to
the user's cache under a key of the model's files and the library versions; writes are
atomic. Only models that mean-pool and normalise (the sentence-transformers modules
Transformer, Pooling with mean tokens, Normalize) can run here; others stay on torch.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import NewsQAError
from qa.reader_int8 import cache_key, ort_session

RECIPE = "embed-onnx-matmul-int8-v1"  # bump when the export or quantization settings change
COSINE_FLOOR = 0.99
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# varied news sentences, short to paragraph-long, for the int8 check (no corpus needed)
CHECK_TEXTS = (
    "The UN General Assembly voted 141 to 5 to demand that Russia withdraw its troops.",
    "Oil prices rose 5% on Wednesday as traders weighed new sanctions.",
    "Harbour master Ines Okafor said 212 cargo ships had been waiting offshore.",
    "The central bank left interest rates unchanged at 4.75%, citing slowing inflation and weak retail "
    "sales over the Christmas period, though two of the nine committee members voted for a cut.",
    "Shares in the carmaker fell sharply after it warned that profits would miss forecasts.",
    "Who won the election?",
    "Talks between the two delegations will resume in Gomel next week, the foreign ministry said.",
    "The striker scored twice in the second half as the home side came from behind to win 3-2, "
    "lifting them to fourth in the table with ten matches left to play.",
    "The film, a remake of the 1960s thriller, took $40m at the box office on its opening weekend.",
    "Parliament approved the budget by 312 votes to 280 after a debate that ran late into the night.",
    "Rescue teams searched the collapsed building for survivors after the earthquake struck at dawn.",
    "The company said it would cut 2,000 jobs in Europe and move production to its plants in Asia, "
    "a decision unions called a betrayal of workers who had accepted pay freezes for three years.",
    "Exports of wheat fell by a third compared with the same month last year.",
    "Scientists said the new vaccine prevented severe illness in 90% of trial participants.",
    "The minister resigned on Friday, saying the row had become a distraction from the government's work.",
    "Kherson",
)


class OnnxUnavailable(NewsQAError):
    """The embedder cannot run in ONNX Runtime (not a mean-pooling model, export failed)."""


def _pooling_ok(model_dir: Path) -> bool:
    """Whether the sentence-transformers model at `model_dir` is Transformer + mean Pooling + Normalize."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = next(m for m in modules if m["type"].endswith("Pooling"))
        config = json.loads((model_dir / pooling["path"] / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, StopIteration):
        return False
    means = config.get("pooling_mode_mean_tokens") and not any(
        config.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_lasttoken")
    )
    return kinds == ["Transformer", "Pooling", "Normalize"] and bool(means)


def max_tokens(model_dir: Path, default: int = 256) -> int:
    """The sentence-transformers `max_seq_length` (what its encode truncates to)."""
    try:
        return int(json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))["max_seq_length"])
    except (OSError, ValueError, KeyError, TypeError):
        return default


def onnx_model(model_dir: Path) -> tuple[Path, dict[str, Any]]:
    """The cached ONNX file to embed with (int8 if it passed its check, else fp32) and the check."""
    if not _pooling_ok(model_dir):
        raise OnnxUnavailable(f"{model_dir} is not a mean-pooling, normalising sentence-transformers model")
    from qa.encoders import cache_dir

    folder = cache_dir() / "embedder-onnx" / cache_key(model_dir, RECIPE)
    check_file = folder / "check.json"
    if check_file.exists():
        check = json.loads(check_file.read_text(encoding="utf-8"))
        return folder / check["chosen"], check
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".build-") as tmp:
        build = Path(tmp)
        _export(model_dir, build / "fp32.onnx")
        _quantize(build / "fp32.onnx", build / "int8.onnx")
        reference = _torch_vectors(model_dir)
        cosines = {}
        for name in ("fp32.onnx", "int8.onnx"):
            vectors = OnnxEncoder(model_dir, build / name, threads=1).encode(list(CHECK_TEXTS))
            cosines[name] = (vectors * reference).sum(axis=1)
        mean, worst = float(cosines["int8.onnx"].mean()), float(cosines["int8.onnx"].min())
        check = {
            "chosen": "int8.onnx" if mean >= COSINE_FLOOR else "fp32.onnx",
            "int8_cosine_mean": round(mean, 5),
            "int8_cosine_min": round(worst, 5),
            "fp32_cosine_min": round(float(cosines["fp32.onnx"].min()), 5),
            "floor": COSINE_FLOOR,
            "texts": len(CHECK_TEXTS),
        }
        (build / "check.json").write_text(json.dumps(check, indent=1), encoding="utf-8")
        try:
            os.replace(build, folder)  # the whole folder at once: never half a cache entry
        except OSError:
            if not check_file.exists():  # not another process finishing first
                raise
        Path(tmp).mkdir(exist_ok=True)  # TemporaryDirectory cleans up the (now moved) folder
    return folder / check["chosen"], check


class OnnxEncoder:
    """Mean-pooled, unit-length vectors from an ONNX export of a sentence-transformers model."""

    def __init__(self, model_dir: Path, onnx_file: Path, threads: int | None = None) -> None:
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        self.max_length = max_tokens(model_dir)
        self.session = ort_session(onnx_file, threads or _threads())
        self.names = [i.name for i in self.session.get_inputs()]

    def dimension(self) -> int:
        return len(self.encode(["x"])[0])

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Vectors in the order of `texts`; batches of similar length, each padded to its own longest."""
        from tqdm import tqdm

        order = np.argsort([len(t) for t in texts], kind="stable")
        out: np.ndarray = np.zeros((len(texts), 0), dtype=np.float32)
        with tqdm(total=len(texts), desc="embedding", unit="passage", disable=not progress) as bar:
            for start in range(0, len(texts), batch_size):
                rows = order[start : start + batch_size]
                enc = self.tokenizer(
                    [texts[i] for i in rows],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="np",
                )
                feed = {n: np.asarray(enc[n], dtype=np.int64) for n in self.names}
                if "token_type_ids" in self.names and "token_type_ids" not in enc:
                    feed["token_type_ids"] = np.zeros_like(feed["input_ids"])
                hidden = self.session.run(None, feed)[0]
                mask = np.asarray(enc["attention_mask"], dtype=np.float32)[..., None]
                pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
                pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
                if out.shape[1] == 0:
                    out = np.zeros((len(texts), pooled.shape[1]), dtype=np.float32)
                out[rows] = pooled
                bar.update(len(rows))
        return out


def _threads() -> int:
    import torch

    return torch.get_num_threads()


def _torch_vectors(model_dir: Path) -> np.ndarray:
    from qa.encoders import load_sentence_transformer

    model = load_sentence_transformer(model_dir)
    return np.asarray(model.encode(list(CHECK_TEXTS), normalize_embeddings=True, convert_to_numpy=True))


def _export(model_dir: Path, out: Path) -> None:
    """fp32 ONNX graph of the encoder's last hidden state, dynamic batch and length axes."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    names = [n for n in INPUTS if n in AutoTokenizer.from_pretrained(str(model_dir)).model_input_names]

    class Hidden(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.model(**dict(zip(names, inputs))).last_hidden_state

    sample = tuple(torch.ones((2, 8), dtype=torch.long) for _ in names)
    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "hidden"]}
    try:
        # eager attention exports as plain matmuls, which ONNX Runtime fuses and quantizes
        model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Hidden(model),
                sample,
                str(out),
                input_names=names,
                output_names=["hidden"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
    except Exception as exc:  # an architecture the exporter cannot trace
        raise OnnxUnavailable(f"could not export {model_dir} to ONNX: {type(exc).__name__}: {exc}") from exc


def _quantize(fp32: Path, out: Path) -> None:
    """Per-channel int8 weights for the matrix products; the embedding table stays float
    (quantizing it too measured lower cosine for no speed)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)  # it logs advice meant for image models to the root logger
        try:
            quantize_dynamic(fp32, out, weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"])
        finally:
            logging.disable(logging.NOTSET)
