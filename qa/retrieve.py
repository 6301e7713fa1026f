"""Finding the passages most likely to hold the answer: BM25, dense, or both fused.

The store owns its searches (`SearchableStore.search_bm25` / `search_dense`, and the
tokenizer and vectors behind them); retrieval only picks the mode and fuses, so a second
store backend needs no change here.

Hybrid retrieval fuses the two rankings with reciprocal rank fusion (Cormack et al.
2009): score = sum over rankings of 1 / (60 + rank). Rank fusion needs no score
calibration between BM25 and cosine similarity, which live on unrelated scales.
"""

from __future__ import annotations

import numpy as np

from qa.config import Retrieval, parse_choice
from qa.store import Ranking, SearchableStore
from qa.types import Hit

RRF_K = 60


def fuse(rankings: list[Ranking]) -> Ranking:
    """Reciprocal rank fusion of several rankings of chunk ids."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (chunk_id, _) in enumerate(ranking):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(fused.items(), key=lambda item: item[1], reverse=True)


def retrieve(store: SearchableStore, query: str, k: int, mode: Retrieval | str = Retrieval.BM25) -> list[Hit]:
    """The top-k chunks for `query` under the given retrieval mode.

    BM25 results are topped up with dense ones when too few passages share a term with
    the query, so an abstaining answer can still show the closest passages.
    """
    mode = parse_choice(Retrieval, "retrieval", mode)
    depth = max(50, 4 * k)  # fusion and top-ups need more than k candidates from each search
    if mode is Retrieval.DENSE:
        ranking = store.search_dense(query, depth)
    elif mode is Retrieval.BM25:
        ranking = store.search_bm25(query, depth)
        if len(ranking) < k:  # no shared terms: still offer the semantically closest passages
            seen = {i for i, _ in ranking}
            ranking += [(i, 0.0) for i, _ in store.search_dense(query, depth) if i not in seen]
    else:
        ranking = fuse([store.search_dense(query, depth), store.search_bm25(query, depth)])
    return [Hit(store.chunks[i], float(np.float32(score)), i) for i, score in ranking[:k]]
