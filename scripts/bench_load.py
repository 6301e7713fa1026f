"""Many chat users at once: the app answering one question at a time vs. several, same run.

    python scripts/bench_load.py [--clients 32] [--requests 200] [--concurrency 8] [--json out/load.json]

Serves a copy of the bundled seeds (or --corpus) on loopback three times: answering one
question at a time without the answer cache (the app before this benchmark existed),
`--concurrency` at once without it, and `--concurrency` at once with it (the default).
Each time `--clients` gradio_client users ask the seed questions through /ask, all
starting together, until `--requests` have been asked. Every answer must say and cite
what the app said when asked alone. Prints p50/p95 latency, answers per second, errors
and wrong answers for both (qa/evaluate/load.py has the rules).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    from qa.evaluate.datasets import load_questions
    from qa.evaluate.load import ask_alone, format_table, run_load, same_answer, serving

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT / "seeds")
    parser.add_argument("--questions", type=Path, default=ROOT / "tests" / "data" / "seed_questions.jsonl")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8, help="questions the app answers at once")
    parser.add_argument("--json", type=Path, default=None, help="also write the table here")
    args = parser.parse_args(argv)
    questions = [q.question for q in load_questions(args.questions).questions if not q.history]
    rows = []
    with tempfile.TemporaryDirectory(prefix="qa-bench-load-") as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(args.corpus, corpus) if args.corpus.is_dir() else shutil.copy(args.corpus, corpus)
        modes = (
            ("one at a time, no cache", 1, 0),
            (f"{args.concurrency} at once, no cache", args.concurrency, 0),
            (f"{args.concurrency} at once + cache", args.concurrency, None),
        )
        reference: dict = {}
        for label, concurrency, cache in modes:
            with serving(corpus, Path(tmp) / "index", concurrency, answer_cache=cache) as url:
                # asked alone once, on the uncached server: every later server starts cold
                reference = reference or ask_alone(url, questions)
                result = run_load(url, questions, args.clients, args.requests, same_answer(reference))
                rows.append(result.row(label))
                for problem in (result.errors + result.wrong)[:5]:
                    print(f"  {label}: {problem}", file=sys.stderr)
    print(format_table(rows))
    base = rows[0]
    for row in rows[1:]:
        if base["p50_s"] and row["p50_s"] and base["answers_per_s"]:
            p50 = row["p50_s"] / base["p50_s"]
            speed = row["answers_per_s"] / base["answers_per_s"]
            print(f"{row['mode']}: p50 {p50:.2f}x, throughput {speed:.2f}x one at a time's")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 1 if any(r["errors"] or r["wrong"] for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
