"""The vector index chosen by size (qa/vector_index.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from qa import vector_index


def clustered(count: int, dim: int = 64, clusters: int = 200, seed: int = 0) -> np.ndarray:
    """Unit vectors around random unit centres (noise of norm ~0.6): structured like
    embeddings, unlike pure noise, where no index beats exact search. The centres
    depend only on `dim` and `clusters`, so queries drawn with another seed fall in them."""
    centres = np.random.default_rng(12345).standard_normal((clusters, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((count, dim)).astype(np.float32) * (0.6 / np.sqrt(dim))
    points = centres[rng.integers(0, clusters, count)] + noise
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def test_small_corpora_get_exact_search_and_large_ones_ivf_sq8(tmp_path: Path) -> None:
    vectors = clustered(20_000)
    exact = vector_index.build(vectors)
    assert vector_index.describe(exact) == {"type": "Flat", "metric": "inner product", "vectors": 20_000}
    approx = vector_index.build(vectors, approximate_from=10_000)
    described = vector_index.describe(approx)
    nlist = vector_index.nlist_for(20_000)
    assert described == {
        "type": f"IVF{nlist},SQ8",
        "metric": "inner product",
        "vectors": 20_000,
        "nprobe": nlist // 4,
    }
    queries = clustered(100, seed=1)
    _, truth = exact.search(queries, 10)
    _, found = approx.search(queries, 10)
    recall = np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found)])
    assert recall >= 0.9, recall


def test_an_index_is_read_back_memory_mapped_with_its_search_parameters(tmp_path: Path) -> None:
    import faiss

    vectors = clustered(5_000)
    approx = vector_index.build(vectors, approximate_from=1_000)
    faiss.write_index(approx, str(tmp_path / "faiss.index"))
    again = vector_index.read(tmp_path / "faiss.index")
    assert vector_index.describe(again) == vector_index.describe(approx)
    assert (again.search(vectors[:5], 3)[1] == approx.search(vectors[:5], 3)[1]).all()


def test_nlist_grows_with_the_square_root() -> None:
    assert [vector_index.nlist_for(n) for n in (1, 10_000, 200_000, 1_000_000)] == [16, 512, 2048, 4096]


def test_the_manifest_records_the_vector_index(seed_index) -> None:
    gen = seed_index.index_dir / (seed_index.index_dir / "CURRENT").read_text()
    manifest = json.loads((gen / "manifest.json").read_text())
    assert manifest["search"] == {
        "store": "faiss",
        "vector_index": {"type": "Flat", "metric": "inner product", "vectors": len(seed_index.chunks)},
    }
