"""The vector index at scale: 1M vectors, exact vs. the store's approximate index, same run.

    python bench/vectors.py [--count 1000000] [--dim 384] [--queries 200] [--real vectors.npy]

Vectors: `--count` synthetic unit vectors in `--dim` dimensions, drawn around 20,000
random unit centres with Gaussian noise of norm 0.6 (nearest neighbours at cosine
~0.8, as between related news passages; uniformly random vectors have no neighbours
worth indexing), or `--real` (an index's vectors.npy, e.g. the full dev corpus's).
Queries are drawn the same way (held out). For the exact index (`IndexFlatIP`) and the
one `qa.vector_index.build` picks at this size (IVF + SQ8), prints build seconds, size
on disk, peak memory of a fresh process that loads it (memory-mapped, as the store
does) and runs the queries, p50/p95 milliseconds per query, and recall@10 against
exact search. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def synthetic(count: int, dim: int, seed: int, centres: int = 20_000):
    import numpy as np

    middle = np.random.default_rng(12345).standard_normal((centres, dim)).astype(np.float32)
    middle /= np.linalg.norm(middle, axis=1, keepdims=True)
    rng = np.random.default_rng(seed)
    out = np.empty((count, dim), dtype=np.float32)
    for start in range(0, count, 100_000):
        n = min(100_000, count - start)
        points = middle[rng.integers(0, centres, n)] + rng.standard_normal((n, dim)).astype(np.float32) * (
            0.6 / np.sqrt(dim)
        )
        out[start : start + n] = points / np.linalg.norm(points, axis=1, keepdims=True)
    return out


def serve(index_file: str, queries_file: str, k: int) -> None:
    """In a fresh process: load the index as the store does, search, print JSON."""
    import numpy as np

    from qa import vector_index

    queries = np.load(queries_file)
    index = vector_index.read(Path(index_file))
    times, found = [], []
    for q in queries:
        started = time.perf_counter()
        found.append(index.search(q[None, :], k)[1][0])
        times.append((time.perf_counter() - started) * 1000)
    print(json.dumps({"found": np.array(found).tolist(), "ms": times, "peak_mib": _peak_mib()}))


def _peak_mib() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from
    the parent it was forked from)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    import faiss
    import numpy as np

    from qa import vector_index
    from qa.evaluate.metrics import percentile

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--real", type=Path, help="use these vectors (.npy) instead of synthetic ones")
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve[0], args.serve[1], 10)
        return 0
    if args.real:
        data = np.load(args.real, mmap_mode="r")
        held = np.random.default_rng(1).choice(len(data), size=args.queries, replace=False)
        queries = np.asarray(data[held], dtype=np.float32)
        vectors = np.asarray(np.delete(np.asarray(data), held, axis=0), dtype=np.float32)
        what = f"{len(vectors):,} real vectors from {args.real}"
    else:
        vectors = synthetic(args.count, args.dim, seed=0)
        queries = synthetic(args.queries, args.dim, seed=1)
        what = f"{len(vectors):,} synthetic {args.dim}-d vectors"
    rows = []
    with tempfile.TemporaryDirectory(prefix="qa-bench-vectors-") as tmp:
        np.save(Path(tmp) / "queries.npy", queries)
        truth = None
        for label, threshold in (("exact (Flat)", len(vectors) + 1), ("store's choice", vector_index.APPROXIMATE_FROM)):
            started = time.perf_counter()
            index = vector_index.build(vectors, approximate_from=threshold)
            built = time.perf_counter() - started
            path = Path(tmp) / "faiss.index"
            faiss.write_index(index, str(path))
            kind = vector_index.describe(index)
            del index
            out = subprocess.run(
                [sys.executable, __file__, "--serve", str(path), str(Path(tmp) / "queries.npy")],
                capture_output=True,
                text=True,
                check=True,
            )
            result = json.loads(out.stdout)
            found = np.array(result["found"])
            truth = found if truth is None else truth
            recall = float(np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found)]))
            rows.append(
                (
                    label,
                    kind["type"] + (f" nprobe {kind['nprobe']}" if "nprobe" in kind else ""),
                    built,
                    path.stat().st_size / 2**20,
                    result["peak_mib"],
                    percentile(result["ms"], 50),
                    percentile(result["ms"], 95),
                    recall,
                )
            )
    print(f"{what}, {len(queries)} queries, top 10")
    print(
        f"{'index':<16} {'type':<24} {'build s':>8} {'disk MiB':>9} {'peak MiB':>9} {'p50 ms':>7} {'p95 ms':>7} {'recall@10':>9}"
    )
    for label, kind, built, disk, peak, p50, p95, recall in rows:
        print(f"{label:<16} {kind:<24} {built:>8.1f} {disk:>9.0f} {peak:>9.0f} {p50:>7.2f} {p95:>7.2f} {recall:>9.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
