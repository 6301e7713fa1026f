"""Finding the passages most likely to hold the answer: BM25, dense, or both fused.

Hybrid retrieval fuses the two rankings with reciprocal rank fusion (Cormack et al.
2009): score = sum over rankings of 1 / (60 + rank). Rank fusion needs no score
calibration between BM25 and cosine similarity, which live on unrelated scales.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from qa.embed import embed
from qa.store import CorpusIndex
from qa.types import Hit

RRF_K = 60
MODES = ("hybrid", "dense", "bm25")


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def bm25_tokenize(texts: list[str]):
    """The one tokenizer for both indexing and querying (they must agree)."""
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False, return_ids=False)


def dense_ranking(index: CorpusIndex, query: str, depth: int) -> list[tuple[int, float]]:
    if not index.chunks:
        return []
    vector = embed([query], index.settings.embedder_path)
    scores, ids = index.faiss_index.search(vector, min(depth, len(index.chunks)))
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]


def bm25_ranking(index: CorpusIndex, query: str, depth: int) -> list[tuple[int, float]]:
    if not index.chunks:
        return []
    tokens = bm25_tokenize([query])
    if not tokens or not tokens[0]:
        return []
    docs, scores = index.bm25.retrieve(tokens, k=min(depth, len(index.chunks)), show_progress=False)
    return [(int(d), float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]


def fuse(rankings: list[list[tuple[int, float]]]) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of several rankings of chunk ids."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (chunk_id, _) in enumerate(ranking):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(fused.items(), key=lambda item: item[1], reverse=True)


def retrieve(index: CorpusIndex, query: str, k: int, mode: str = "bm25") -> list[Hit]:
    """The top-k chunks for `query` under the given retrieval mode.

    BM25 results are topped up with dense ones when too few passages share a term with
    the query, so an abstaining answer can still show the closest passages.
    """
    if mode not in MODES:
        raise ValueError(f"unknown retrieval mode {mode!r}; choose one of {MODES}")
    depth = max(50, 4 * k)
    if mode == "dense":
        ranking = dense_ranking(index, query, depth)
    elif mode == "bm25":
        ranking = bm25_ranking(index, query, depth)
        if len(ranking) < k:  # no shared terms: still offer the semantically closest passages
            seen = {i for i, _ in ranking}
            ranking += [(i, 0.0) for i, _ in dense_ranking(index, query, depth) if i not in seen]
    else:
        ranking = fuse([dense_ranking(index, query, depth), bm25_ranking(index, query, depth)])
    return [Hit(index.chunks[i], float(np.float32(score)), i) for i, score in ranking[:k]]
