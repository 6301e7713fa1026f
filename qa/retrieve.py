"""Finding the passages most likely to hold the answer: BM25, dense, or both fused.

The store owns its searches (`SearchableStore.search_bm25` / `search_dense`, and the
tokenizer and vectors behind them); retrieval only picks the mode and fuses, so a second
store backend needs no change here.

Hybrid retrieval fuses the two rankings with reciprocal rank fusion (Cormack et al.
2009): score = sum over rankings of 1 / (60 + rank). Rank fusion needs no score
calibration between BM25 and cosine similarity, which live on unrelated scales.

A follow-up may be kept to some sources (`sources=`): each search then ranks the whole
store and keeps those sources' chunks, so the ranking within them is exactly the
global one with the other chunks left out (a backend with filters could push this down).
"""

from __future__ import annotations

from collections.abc import Callable, Collection

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


def retrieve(
    store: SearchableStore,
    query: str,
    k: int,
    mode: Retrieval | str = Retrieval.BM25,
    sources: Collection[str] | None = None,
) -> list[Hit]:
    """The top-k chunks for `query` under the given retrieval mode, from `sources` only
    when given (chunk sources as cited: "file.txt", "file.jsonl#id").

    BM25 results are topped up with dense ones when too few passages share a term with
    the query, so an abstaining answer can still show the closest passages.
    """
    mode = parse_choice(Retrieval, "retrieval", mode)
    depth = max(50, 4 * k)  # fusion and top-ups need more than k candidates from each search
    search = _within(store, sources, depth)
    if mode is Retrieval.DENSE:
        ranking = search(store.search_dense, query)
    elif mode is Retrieval.BM25:
        ranking = search(store.search_bm25, query)
        if len(ranking) < k:  # no shared terms: still offer the semantically closest passages
            seen = {i for i, _ in ranking}
            ranking += [(i, 0.0) for i, _ in search(store.search_dense, query) if i not in seen]
    else:
        ranking = fuse([search(store.search_dense, query), search(store.search_bm25, query)])
    return [Hit(store.chunks[i], float(np.float32(score)), i) for i, score in ranking[:k]]


Search = Callable[[str, int], Ranking]


def _within(store: SearchableStore, sources: Collection[str] | None, depth: int) -> Callable[[Search, str], Ranking]:
    """Run a store search `depth` deep, over all chunks or only those of `sources`."""
    if sources is None:
        return lambda search, query: search(query, depth)
    wanted = set(sources)
    allowed = {i for i, chunk in enumerate(store.chunks) if chunk.source in wanted}
    total = len(store.chunks)

    def search_within(search: Search, query: str) -> Ranking:
        if not allowed:
            return []
        return [(i, score) for i, score in search(query, total) if i in allowed][:depth]

    return search_within
