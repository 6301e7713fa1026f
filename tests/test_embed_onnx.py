"""The embedder in ONNX Runtime (qa/embed_onnx.py): same vectors within tolerance,
its int8 check recorded, and models it cannot run left on torch."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import pytest

from qa.config import EmbedderRuntime, Settings
from qa.embed import Embedder
from qa.embed_onnx import COSINE_FLOOR, OnnxEncoder, OnnxUnavailable, onnx_model
from qa.encoders import minilm_dir


def test_onnx_vectors_agree_with_sentence_transformers(seed_index) -> None:
    texts = [c.text for c in seed_index.chunks]
    onnx, torch = Embedder(runtime="onnx"), Embedder(runtime="torch")
    a, b = onnx.embed(texts), torch.embed(texts)
    assert isinstance(onnx._model, OnnxEncoder) and not isinstance(torch._model, OnnxEncoder)
    assert a.shape == b.shape and a.dtype == np.float32
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    cosine = (a * b).sum(axis=1)
    assert cosine.mean() > 0.99 and cosine.min() > 0.97, (cosine.mean(), cosine.min())
    assert onnx.embed([]).shape == (0, b.shape[1])


def test_the_int8_check_is_recorded_and_decides() -> None:
    path, check = onnx_model(minilm_dir())
    assert path.name == check["chosen"] and path.exists()
    assert check["floor"] == COSINE_FLOOR and check["fp32_cosine_min"] > 0.999
    assert (check["chosen"] == "int8.onnx") == (check["int8_cosine_mean"] >= COSINE_FLOOR)
    assert json.loads((path.parent / "check.json").read_text()) == check
    again, _ = onnx_model(minilm_dir())  # cached: found, not rebuilt
    assert again == path and again.stat().st_mtime_ns == path.stat().st_mtime_ns


def _cls_pooling_copy(tmp_path: Path) -> Path:
    """The bundled model with CLS pooling: the ONNX embedder only knows mean pooling."""
    source, copy = minilm_dir(), tmp_path / "cls-model"
    for item in source.rglob("*"):
        target = copy / item.relative_to(source)
        if item.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif item.name != "config.json" or item.parent.name != "1_Pooling":
            target.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(item, target)
    pooling = json.loads((source / "1_Pooling" / "config.json").read_text())
    pooling.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    (copy / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    return copy


def test_a_model_it_cannot_run_stays_on_torch_or_is_refused(tmp_path: Path) -> None:
    model = _cls_pooling_copy(tmp_path)
    with pytest.raises(OnnxUnavailable, match="mean-pooling"):
        Embedder(model, runtime="onnx").embed(["The vote was 141 to 5."])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        vectors = Embedder(model, runtime="auto").embed(["The vote was 141 to 5."])
    assert vectors.shape == (1, 384)
    assert any("sentence-transformers" in str(w.message) for w in caught)


def test_the_runtime_is_a_validated_setting() -> None:
    assert Settings().embedder_runtime is EmbedderRuntime.AUTO
    assert Settings.from_dict(Settings(embedder_runtime="torch").to_dict()).embedder_runtime is EmbedderRuntime.TORCH
    with pytest.raises(ValueError, match="embedder_runtime"):
        Settings(embedder_runtime="gpu")
