"""Finding the passages most likely to hold the answer: BM25, dense, or both fused.

The store owns its searches (`SearchableStore.search_bm25` / `search_dense`, and the
tokenizer and vectors behind them); retrieval only picks the mode and fuses, so a second
store backend needs no change here.

Hybrid retrieval fuses the two rankings with reciprocal rank fusion (Cormack et al.
2009): score = sum over rankings of 1 / (60 + rank). Rank fusion needs no score
calibration between BM25 and cosine similarity, which live on unrelated scales.

Filters (`qa.types.Filter`: a date range, source patterns) apply inside each store
search, which returns the best chunks among those the filter allows. A follow-up kept
to some sources (`sources=`) is the same mechanism: a filter narrowed to those sources,
so the ranking within them is exactly the global one with the other chunks left out.

News goes out of date: "Who is the President of Ukraine?" over 2005 BBC stories and a
2022 article ranks five 2005 passages first. With `newer=`, the best-ranked passage
among the top `newer` that is dated later than every passage of the top k (or dated at
all, when none of them is) is read too, as a k+1th passage; the assistant then prefers
the newer article's answer when the reader is about as sure of it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

import numpy as np

from qa.config import Retrieval, parse_choice
from qa.store import Ranking, SearchableStore
from qa.types import Filter, Hit, article_date

RRF_K = 60


def fuse(rankings: list[Ranking]) -> Ranking:
    """Reciprocal rank fusion of several rankings of chunk ids."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (chunk_id, _) in enumerate(ranking):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(fused.items(), key=lambda item: item[1], reverse=True)


def narrow(filter: Filter | None, sources: Collection[str] | None) -> Filter | None:
    """`filter` further kept to the exact chunk sources `sources` (None: not kept);
    None when nothing can pass (no source in `sources` passes `filter`)."""
    filter = filter or Filter()
    if sources is None:
        return filter
    within = tuple(s for s in dict.fromkeys(sources) if filter.allows_source(s))
    return replace(filter, sources=within) if within else None


def retrieve(
    store: SearchableStore,
    query: str,
    k: int,
    mode: Retrieval | str = Retrieval.BM25,
    sources: Collection[str] | None = None,
    filter: Filter | None = None,
    newer: int = 0,
) -> list[Hit]:
    """The top-k chunks for `query` under the given retrieval mode, among those `filter`
    allows, and from `sources` only when given (chunk sources as cited: "file.txt",
    "file.jsonl#id").

    BM25 results are topped up with dense ones when too few passages share a term with
    the query, so an abstaining answer can still show the closest passages. `newer`
    (a depth; 0: off) adds the best passage newer than all of the top k (module docstring).
    """
    mode = parse_choice(Retrieval, "retrieval", mode)
    applied = narrow(filter, sources)
    if applied is None:
        return []
    where = applied or None
    depth = max(50, 4 * k, newer)  # fusion and top-ups need more than k candidates from each search
    if mode is Retrieval.DENSE:
        ranking = store.search_dense(query, depth, filter=where)
    elif mode is Retrieval.BM25:
        ranking = store.search_bm25(query, depth, filter=where)
        if len(ranking) < k:  # no shared terms: still offer the semantically closest passages
            seen = {i for i, _ in ranking}
            ranking += [(i, 0.0) for i, _ in store.search_dense(query, depth, filter=where) if i not in seen]
    else:
        ranking = fuse([store.search_dense(query, depth, filter=where), store.search_bm25(query, depth, filter=where)])
    hits = [Hit(store.chunks[i], float(np.float32(score)), i) for i, score in ranking[:k]]
    later = _newer(store, ranking[k:newer], hits) if newer > k else None
    return hits + ([later] if later else [])


def _newer(store: SearchableStore, candidates: Ranking, hits: list[Hit]) -> Hit | None:
    """The best of `candidates` dated later than every hit (any dated one if no hit is)."""
    dates = [d for d in (article_date(h.chunk.date) for h in hits) if d is not None]
    newest = max(dates) if dates else None
    for i, score in candidates:
        found = article_date(store.chunks[i].date)
        if found is not None and (newest is None or found > newest):
            return Hit(store.chunks[i], float(np.float32(score)), i)
    return None
