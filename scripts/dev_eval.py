"""Score the system on the news development sets and sweep the abstention threshold.

    python scripts/dev_eval.py [--distractors 100] [--reader DIR] [--json out/dev.json] [--report out/dev]
    python scripts/dev_eval.py --full [--index-dir DIR]     # against every story of both files

The seed question set is the project's test set: nothing may be chosen by looking at it.
System-level choices (the default threshold, how passages are presented to the reader)
are made here instead, on questions over BBC and Reuters articles that no training run
saw as questions (`tests/data/*_dev_questions.jsonl`). The corpus is rebuilt each run
from ``../shared/data``: the articles the questions cite plus seeded random distractors
from the same files. The sets: 20 questions over 4 BBC articles, 100 over 20 Reuters
articles no training run saw, and 51 over 4 longer BBC feature stories (lists,
follow-ups, unanswerables one detail away); the BBC texts were among those the synthetic
training questions were generated from, the questions themselves were not.

`--full` asks the same questions against every story of both files (all 2,225 BBC and
19,043 Reuters stories), where near-duplicate stories (another quarter's earnings,
another strike) compete with the cited one; that index takes a while to build, so it
is kept (default ~/.cache/newsqa/dev-full-index) and reused while the files and
settings are unchanged.

A thin shell over `qa eval DEV_SETS --corpus bbc.jsonl reuters.jsonl --distractors N
--threshold 0 --sweep` (qa/evaluate/sweep.py has the rules).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "data"
CORPUS_FILES = {
    "bbc.jsonl": SHARED / "bbc-news" / "bbc.jsonl",
    "reuters.jsonl": SHARED / "reuters-21578" / "reuters.jsonl",
}
# the first two (120 questions) chose reader v5 and the 0.10 threshold; the feature-story
# slice (51 questions over longer BBC politics, business and arts stories) was added later
DEV_SETS = [
    ROOT / "tests" / "data" / name
    for name in ("bbc_dev_questions.jsonl", "reuters_dev_questions.jsonl", "bbc_feature_dev_questions.jsonl")
]


def main(argv: list[str] | None = None) -> int:
    from qa.cli import main as qa_main
    from qa.config import Retrieval

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="*", type=Path, default=DEV_SETS)
    parser.add_argument("--distractors", type=int, default=100, help="random other articles per corpus file")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--reader", type=Path, default=None)
    parser.add_argument("--top-k", type=int, default=None, help="passages per question (default: settings)")
    parser.add_argument("--retrieval", choices=Retrieval.values(), default=None)
    parser.add_argument("--rerank", type=int, default=None, metavar="N", help="rerank the top N with the fast reader")
    parser.add_argument("--full", action="store_true", help="every story of both files, not a sample")
    parser.add_argument("--index-dir", type=Path, default=None, help="with --full: where its index is kept")
    parser.add_argument("--json", type=Path, default=None, help="write rows and the sweep here")
    parser.add_argument("--report", type=Path, default=None, help="write report.md, report.json and charts here")
    args = parser.parse_args(argv)
    missing = [str(p) for p in CORPUS_FILES.values() if not p.exists()]
    if missing:
        print(f"dev_eval: needs the shared news corpora ({', '.join(missing)} missing)", file=sys.stderr)
        return 2
    command = ["eval", *map(str, args.datasets), "--corpus", *map(str, CORPUS_FILES.values())]
    if args.full:
        from qa.encoders import cache_dir

        command += ["--index-dir", str(args.index_dir or cache_dir() / "dev-full-index")]
    else:
        command += ["--distractors", str(args.distractors), "--seed", str(args.seed)]
    command += ["--threshold", "0", "--sweep"]
    for flag, value in (
        ("--reader", args.reader),
        ("--top-k", args.top_k),
        ("--retrieval", args.retrieval),
        ("--rerank", args.rerank),
        ("--sweep-json", args.json),
        ("--report", args.report),
    ):
        if value is not None:
            command += [flag, str(value)]
    return qa_main(command)


if __name__ == "__main__":
    raise SystemExit(main())
