"""Indexing and answering at 1k / 10k / 100k chunks, against the naive baseline, same run.

    python bench/scale.py [--sizes 1000 10000 100000] [--builds naive shipped] [--queries 50] [--out DIR]

For each size, a corpus of news stories from ../shared/data (BBC and Reuters stories in
a seeded shuffle; when the files run out they are repeated with new ids, "#r2-<id>", so sizes past
the ~50k chunks of both files are reached: said in the output) is indexed twice in a
fresh process each: as shipped (ONNX int8 embedding, the vector index picked by size)
and naively (sentence-transformers embedding, exact search). Printed per size and
build: chunks, chunks/s while indexing, peak memory, index size on disk, retrieve-only
p50/p95 and end-to-end answer p50/p95 over the news dev questions (asked of whatever
stories the corpus holds; this measures speed, not accuracy). A first row indexes the
bundled seeds/ as shipped and asks the same questions, the figure the end-to-end answer
time at size is held against. `--builds shipped` skips the naive build (at 100k chunks
it alone takes most of an hour at ~30 chunks/s; its throughput does not depend on size).
A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
FILES = (DATA / "bbc-news" / "bbc.jsonl", DATA / "reuters-21578" / "reuters.jsonl")
CHUNKS_PER_STORY = 2.4  # about, over both files (50,757 chunks / 21,268 stories): sizes the corpus
STORIES_PER_FILE = 5000  # ~5 MB files, as an archive arrives


def write_corpus(directory: Path, chunks: int) -> tuple[int, int]:
    """Write about `chunks` chunks' worth of stories to `directory`/news-NNN.jsonl, files of
    at most `STORIES_PER_FILE` stories (ingest skips files over 32 MB); (stories, repeats)."""
    stories = [line for path in FILES for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    random.Random(0).shuffle(stories)  # both files mixed as in the whole, so chunks per story average out
    wanted = max(1, round(chunks / CHUNKS_PER_STORY))
    directory.mkdir(parents=True, exist_ok=True)
    for first in range(0, wanted, STORIES_PER_FILE):
        with (directory / f"news-{first // STORIES_PER_FILE:03d}.jsonl").open("w", encoding="utf-8") as out:
            for n in range(first, min(wanted, first + STORIES_PER_FILE)):
                record = json.loads(stories[n % len(stories)])
                if n >= len(stories):
                    record["id"] = f"r{n // len(stories) + 1}-{record['id']}"
                out.write(json.dumps(record) + "\n")
    return wanted, (wanted - 1) // len(stories)


def run(corpus: Path, index_dir: Path, naive: bool, queries: list[str]) -> dict:
    """In this (fresh) process: index, then time retrieval and answers; JSON on stdout."""
    import numpy as np

    from qa.assistant import Assistant
    from qa.config import EmbedderRuntime, Settings
    from qa.evaluate.metrics import percentile
    from qa.retrieve import retrieve

    settings = Settings(embedder_runtime=EmbedderRuntime.TORCH) if naive else Settings()
    started = time.perf_counter()
    bot = Assistant.from_corpus(corpus, index_dir, settings=settings, bar=False)
    indexing = time.perf_counter() - started
    if naive:  # exact search whatever the size: the baseline
        from qa import vector_index

        bot.index._faiss = vector_index.build(np.asarray(bot.index.vectors), approximate_from=10**12)
    bot.warm_up()
    retrieve_ms, answer_ms = [], []
    for question in queries:
        t = time.perf_counter()
        retrieve(bot.index, question, settings.top_k, "hybrid")  # both searches, as hybrid mode runs them
        retrieve_ms.append((time.perf_counter() - t) * 1000)
    for question in queries:
        t = time.perf_counter()
        bot.answer(question)
        answer_ms.append((time.perf_counter() - t) * 1000)
    disk = sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file())
    peak = next(int(x.split()[1]) for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmHWM"))
    return {
        "chunks": len(bot.index.chunks),
        "chunks_per_s": len(bot.index.chunks) / indexing,
        "peak_mib": peak / 1024,
        "disk_mib": disk / 2**20,
        "retrieve_p50": percentile(retrieve_ms, 50),
        "retrieve_p95": percentile(retrieve_ms, 95),
        "answer_p50": percentile(answer_ms, 50),
        "answer_p95": percentile(answer_ms, 95),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--builds", nargs="+", choices=("naive", "shipped"), default=["naive", "shipped"])
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--out", type=Path, default=None, help="keep corpora and indexes here (default: temp)")
    parser.add_argument("--run", nargs=3, help=argparse.SUPPRESS)  # corpus, index, naive|shipped
    args = parser.parse_args(argv)
    questions = [
        json.loads(line)["question"]
        for name in ("bbc_dev_questions.jsonl", "reuters_dev_questions.jsonl")
        for line in (ROOT / "tests" / "data" / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ][: args.queries]
    if args.run:
        corpus, index, mode = args.run
        print(json.dumps(run(Path(corpus), Path(index), mode == "naive", questions)))
        return 0
    missing = [str(p) for p in FILES if not p.exists()]
    if missing:
        print(f"bench/scale.py needs {', '.join(missing)}", file=sys.stderr)
        return 2
    base = args.out or Path(tempfile.mkdtemp(prefix="qa-bench-scale-"))
    head = f"{'chunks':>8} {'build':<8} {'chunks/s':>9} {'peak MiB':>9} {'disk MiB':>9}"
    head += f" {'retrieve p50/p95 ms':>20} {'answer p50/p95 ms':>18}"
    lines = [head]

    def measure(corpus: Path, index: Path, mode: str, label: str) -> None:
        shutil.rmtree(index, ignore_errors=True)
        out = subprocess.run(
            [sys.executable, __file__, "--run", str(corpus), str(index), mode],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        if not r["chunks"]:
            raise SystemExit(f"bench/scale.py: nothing was indexed from {corpus}")
        lines.append(
            f"{label or r['chunks']:>8} {mode:<8} {r['chunks_per_s']:>9.1f} {r['peak_mib']:>9.0f} {r['disk_mib']:>9.1f}"
            f" {r['retrieve_p50']:>9.1f}/{r['retrieve_p95']:<10.1f} {r['answer_p50']:>8.0f}/{r['answer_p95']:<9.0f}"
        )
        print(lines[-1], file=sys.stderr)

    try:
        measure(ROOT / "seeds", base / "index-seeds", "shipped", "seeds")  # the 1.5x reference
        for size in args.sizes:
            corpus = base / f"corpus-{size}"
            stories, repeats = write_corpus(corpus, size)
            note = (
                f" ({stories} stories; files repeated {repeats}x with new ids)" if repeats else f" ({stories} stories)"
            )
            print(f"size {size}{note}", file=sys.stderr)
            for mode in args.builds:
                measure(corpus, base / f"index-{size}-{mode}", mode, "")
    finally:
        if args.out is None:
            shutil.rmtree(base, ignore_errors=True)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
