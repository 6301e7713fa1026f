"""Embedding throughput: sentence-transformers' encode vs. the ONNX Runtime embedder, same run.

    python bench/embed.py [--passages 512] [--runs 3]

Embeds the same passages (paragraphs of ../shared/data/bbc-news/bbc.jsonl, else the
seed article's sentences repeated) with `Settings.embedder_runtime` "torch" and "onnx"
(int8 where its check passed, qa/embed_onnx.py), after one warm-up call each; prints
passages/s (best of --runs), the ratio, and the cosine between the two vectors of each
passage. A benchmark, not a test: figures depend on the machine; compare ratios.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BBC = ROOT.parent / "shared" / "data" / "bbc-news" / "bbc.jsonl"


def passages(count: int) -> tuple[list[str], str]:
    if BBC.exists():
        texts = []
        with BBC.open(encoding="utf-8") as handle:
            for line in handle:
                texts += [p for p in json.loads(line)["text"].split("\n\n") if len(p) > 120]
                if len(texts) >= count:
                    return texts[:count], f"{count} paragraphs of {BBC.name}"
    seed = next((ROOT / "seeds").glob("*.txt")).read_text(encoding="utf-8")
    lines = [line for line in seed.splitlines() if len(line) > 60]
    return [lines[i % len(lines)] + f" ({i})" for i in range(count)], f"{count} seed lines (no ../shared)"


def main(argv: list[str] | None = None) -> int:
    import numpy as np

    from qa.config import models_offline
    from qa.embed import Embedder

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=512)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    models_offline()
    texts, what = passages(args.passages)
    rows, vectors = [], {}
    for runtime in ("torch", "onnx"):
        embedder = Embedder(runtime=runtime)
        embedder.embed(texts[:32])  # load, build the ONNX copy on first use, warm caches
        best = float("inf")
        for _ in range(args.runs):
            started = time.perf_counter()
            vectors[runtime] = embedder.embed(texts)
            best = min(best, time.perf_counter() - started)
        rows.append((runtime, len(texts) / best))
    cosine = (vectors["torch"] * vectors["onnx"]).sum(axis=1)
    print(f"embedding {what}, best of {args.runs}")
    print(f"{'runtime':<8} {'passages/s':>10} {'vs torch':>9}")
    for runtime, speed in rows:
        print(f"{runtime:<8} {speed:>10.1f} {speed / rows[0][1]:>8.2f}x")
    print(f"cosine onnx vs torch: mean {float(np.mean(cosine)):.4f}, min {float(np.min(cosine)):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
