"""The FAISS index over a corpus's vectors, chosen by its size.

Exact search (`IndexFlatIP`) is lossless, but its time grows with the corpus: on 2
cores 7.5 ms per query at 50k news passages, 14 ms at 100k, 150 ms at 1M, and it is as
big as the raw float32 vectors (1.5 GB at 1M). From `APPROXIMATE_FROM` vectors the
store builds an inverted-file index with 8-bit scalar codes instead (`IVF{nlist},SQ8`:
a quarter of the memory, searching only the `nprobe` nearest of `nlist` clusters).

`nprobe` is a quarter of `nlist`, at most `MAX_PROBES`. Real news vectors are harder than synthetic ones: over
the 99,438 passages of `bench/scale.py`'s 100k corpus, with the 171 dev questions as
queries, recall@10 against exact search was 0.887 at 32 probes of 1,024 clusters,
0.952 at 128 and 0.973 at 256 (1.3 ms per query, against 14 ms exact); at 50k, 0.979
at 256. 32 probes had kept 0.974 on 1M synthetic vectors, which is why it was the
first choice (`bench/vectors.py` measures both kinds: `--real vectors.npy`). The cap
keeps the time at 1M (4,096 clusters) well under exact search's.

The choice and its parameters are recorded in the index manifest (`describe`), and
indexes are read memory-mapped where FAISS allows, so a large index is paged in as
searched rather than read whole at start.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

APPROXIMATE_FROM = 50_000  # vectors; below this exact search is used
PROBE_SHARE = 4  # nprobe = nlist // PROBE_SHARE: recall@10 ~0.97 on real news vectors
MAX_PROBES = 256  # ... and at most this many
TRAIN_PER_CLUSTER = 64  # k-means training sample: this many vectors per cluster, at most all


def nlist_for(count: int) -> int:
    """Clusters for `count` vectors: a power of two near 4 * sqrt(count) (4096 at 1M)."""
    return 2 ** max(4, round(math.log2(4 * math.sqrt(max(count, 1)))))


def nprobe_for(nlist: int) -> int:
    """Clusters searched per query for an index of `nlist` clusters."""
    return max(1, min(nlist // PROBE_SHARE, MAX_PROBES))


def build(vectors: np.ndarray, approximate_from: int = APPROXIMATE_FROM, seed: int = 0) -> Any:
    """A FAISS inner-product index holding `vectors` (unit-length rows): exact below
    `approximate_from`, else IVF + SQ8 trained on a seeded sample of them."""
    import faiss

    count, dim = vectors.shape
    index: Any
    if count < approximate_from:
        index = faiss.IndexFlatIP(dim)
        if count:
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return index
    nlist = nlist_for(count)
    index = faiss.index_factory(dim, f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
    sample = np.random.default_rng(seed).choice(count, size=min(count, nlist * TRAIN_PER_CLUSTER), replace=False)
    index.train(np.ascontiguousarray(vectors[np.sort(sample)], dtype=np.float32))
    for start in range(0, count, 100_000):  # in slices: a memory-mapped array is never copied whole
        index.add(np.ascontiguousarray(vectors[start : start + 100_000], dtype=np.float32))
    index.nprobe = nprobe_for(nlist)
    return index


def describe(index: Any) -> dict[str, Any]:
    """What the manifest records: the index type and its search parameters."""
    import faiss

    ivf = faiss.try_extract_index_ivf(index)
    if ivf is None:
        return {"type": "Flat", "metric": "inner product", "vectors": int(index.ntotal)}
    return {
        "type": f"IVF{ivf.nlist},SQ8",
        "metric": "inner product",
        "vectors": int(index.ntotal),
        "nprobe": int(ivf.nprobe),
    }


def read(path: Path) -> Any:
    """The index in `path`, memory-mapped where FAISS can (else read whole), with the
    search parameters the store uses."""
    import faiss

    try:
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    except RuntimeError:  # an index type FAISS cannot map
        index = faiss.read_index(str(path))
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        ivf.nprobe = nprobe_for(ivf.nlist)
    return index
