"""CI regression gate: evaluate the seed question set and fail below the recorded floors.

    python scripts/eval_gate.py [--report out/eval-gate] [--reader DIR] [--suggest]

A thin shell over `qa eval DATASET --corpus seeds --report DIR --gate` (system mode,
fresh temporary index, bundled reader unless --reader): prints the metric table, writes
the full report (JSON, Markdown, PNGs) and exits 1 if a gated metric falls below its
floor or any question raised an error. The floors, and how they were measured, are in
qa/evaluate/seed_gate.json; the rules for changing them are in qa/evaluate/gate.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=ROOT / "tests" / "data" / "seed_questions.jsonl")
    parser.add_argument("--corpus", type=Path, default=ROOT / "seeds")
    parser.add_argument("--reader", type=Path, default=None, help="reader model (default: the bundled one)")
    parser.add_argument("--report", type=Path, default=ROOT / "out" / "eval-gate")
    parser.add_argument("--suggest", action="store_true", help="also print floors for today's figures")
    args = parser.parse_args(argv)

    from qa.cli import main as qa_main

    command = ["eval", str(args.dataset), "--corpus", str(args.corpus), "--report", str(args.report)]
    command += ["--gate", "--no-progress", *(["--reader", str(args.reader)] if args.reader else [])]
    return qa_main(command + (["--suggest-floors"] if args.suggest else []))


if __name__ == "__main__":
    sys.exit(main())
