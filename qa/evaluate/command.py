"""The `qa eval` subcommand: flags, dispatch, exit codes.

`qa/cli.py` owns the top-level parser and calls `register(subparsers)`; everything the
evaluator accepts is declared here so the CLI and this package cannot drift apart.
Exit codes: 0 success, 2 bad input (as every `qa` command), 1 the run finished but some
questions raised errors or it fell below a `--gate` floor.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from qa.config import Precision, Retrieval
from qa.errors import NewsQAError
from qa.evaluate.datasets import DatasetError, QuestionSet, load_questions, parse_articles

EXIT_BAD_INPUT = 2  # as every `qa` command (qa.cli)
EXIT_FAILED = 1  # the run finished, but questions raised errors or a gate floor was missed


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `eval` subparser (with `func=run`) to the CLI's subparsers."""
    from qa.evaluate.gate import SEED_FLOORS

    p = subparsers.add_parser(
        "eval",
        help="score the assistant on a question set (EM/F1, retrieval, citations, latency)",
        description=(
            "Evaluate on the project's JSONL questions (several files are one set) or a SQuAD "
            "v1.1/v2.0 file. Prints a metric table (or JSON with --json); --report DIR also writes "
            "report.json, report.md and PNG charts. --sweep adds the abstention-threshold sweep, "
            "--gate checks the floors of a data file. --compare A.json B.json diffs two saved reports."
        ),
    )
    p.add_argument("dataset", nargs="*", type=Path, help="questions: project .jsonl file(s) or one SQuAD .json")
    p.add_argument(
        "--corpus",
        type=Path,
        nargs="+",
        default=None,
        help="corpus paths for JSONL questions, e.g. seeds/ plus distractor corpora (default: settings)",
    )
    p.add_argument(
        "--distractors",
        type=int,
        default=None,
        metavar="N",
        help="corpus = the articles the questions cite from the --corpus JSONL files plus N random others "
        "per file (seeded by --seed), instead of the whole files",
    )
    p.add_argument("--seed", type=int, default=13, help="seed of the --distractors sample (default 13)")
    p.add_argument(
        "--index-dir",
        type=Path,
        default=None,
        help="reuse/keep the index of --corpus here (default: a fresh temporary index)",
    )
    p.add_argument("--reader", type=Path, default=None, help="reader model directory (default: the project's reader)")
    p.add_argument("--top-k", type=int, default=None, help="passages retrieved per question")
    p.add_argument(
        "--rerank", type=int, default=None, metavar="N", help="rerank the top N retrieved with the fast reader first"
    )
    p.add_argument("--threshold", type=float, default=None, help="abstain below this answer score (0-1)")
    p.add_argument("--retrieval", choices=Retrieval.values(), default=None, help="retrieval method")
    p.add_argument(
        "--precision", choices=Precision.values(), default=None, help="reader arithmetic (default: settings)"
    )
    p.add_argument(
        "--mode",
        choices=("system", "reader"),
        default=None,
        help="system: retrieve from the corpus and answer, as a user would; reader: give the reader "
        "the gold passage only (default: reader for SQuAD, system for JSONL)",
    )
    p.add_argument("--articles", default=None, help="SQuAD article indexes to use, e.g. 32-47 (inclusive)")
    p.add_argument("--limit", type=int, default=None, help="evaluate only the first N questions (of each file)")
    p.add_argument("--json", action="store_true", help="print the JSON summary instead of the table")
    p.add_argument(
        "--report", type=Path, default=None, metavar="DIR", help="write report.json, report.md and PNGs here"
    )
    p.add_argument("--worst", type=int, default=10, help="worst misses to list in the report (default 10)")
    p.add_argument("--sweep", action="store_true", help="also score every abstention threshold 0.05-0.95 and pick one")
    p.add_argument(
        "--sweep-json",
        type=Path,
        default=None,
        metavar="OUT",
        help="write the sweep, the pick and every row here (implies --sweep)",
    )
    p.add_argument("--gate", action="store_true", help="exit 1 below any floor of --floors (a regression gate)")
    p.add_argument(
        "--floors",
        type=Path,
        default=SEED_FLOORS,
        help="gate floors (default: the seed set's, qa/evaluate/seed_gate.json)",
    )
    p.add_argument("--suggest-floors", action="store_true", help="print floors one question below today's figures")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--compare", nargs=2, type=Path, metavar=("A.json", "B.json"), help="compare two saved reports")
    p.set_defaults(func=run)


def _question_set(args: argparse.Namespace) -> QuestionSet:
    """The dataset(s) named on the command line as one question set."""
    articles = parse_articles(args.articles) if args.articles else None
    sets = [load_questions(path, articles=articles, limit=args.limit) for path in args.dataset]
    if len(sets) == 1:
        return sets[0]
    if any(s.kind != "jsonl" for s in sets):
        raise DatasetError("several datasets must all be project .jsonl files")
    seen: set[str] = set()
    for q in (q for s in sets for q in s.questions):
        if q.id in seen:
            raise DatasetError(f"question id {q.id!r} appears in more than one dataset")
        seen.add(q.id)
    return QuestionSet(
        name="+".join(p.stem for p in args.dataset), kind="jsonl", questions=[q for s in sets for q in s.questions]
    )


def run(args: argparse.Namespace) -> int:
    """Execute `qa eval` for parsed `args`; returns the process exit code."""
    if args.compare:
        return _run_compare(args)
    if not args.dataset:
        print("qa eval: a DATASET (or --compare A.json B.json) is required", file=sys.stderr)
        return EXIT_BAD_INPUT
    from qa.evaluate import gate, report, sweep
    from qa.evaluate.runner import EvalOptions, evaluate

    try:
        qset = _question_set(args)
        floors = gate.Floors.load(args.floors) if args.gate or args.suggest_floors else None
        if args.gate and floors is not None and floors.dataset != qset.name:
            raise DatasetError(f"the floors in {args.floors} are for {floors.dataset}, not {qset.name}")
        if args.distractors is not None and (args.distractors < 0 or not args.corpus or qset.kind != "jsonl"):
            raise DatasetError("--distractors needs JSONL questions, --corpus JSONL files and N >= 0")
    except (NewsQAError, ValueError, OSError) as err:
        print(f"qa eval: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    options = EvalOptions(
        mode=args.mode or ("reader" if qset.kind == "squad" else "system"),
        corpus=args.corpus,
        index_dir=args.index_dir,
        reader=args.reader,
        top_k=args.top_k,
        rerank_pool=args.rerank,
        threshold=args.threshold,
        retrieval=args.retrieval,
        precision=args.precision,
        progress=not args.no_progress,
    )
    try:
        with tempfile.TemporaryDirectory(prefix="qa-eval-corpus-") as tmp:
            if args.distractors is not None:
                options.corpus = sweep.sample_corpus(
                    qset.questions, args.corpus, Path(tmp), args.distractors, args.seed
                )
            result = evaluate(qset, options)
    except (NewsQAError, OSError) as err:
        print(f"qa eval: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    full = report.build(result, worst=args.worst)
    if args.sweep or args.sweep_json:
        record = sweep.sweep_record(result.rows)
        full["sweep"], full["pick"] = record["sweep"], record["pick"]
        if args.sweep_json:
            args.sweep_json.parent.mkdir(parents=True, exist_ok=True)
            args.sweep_json.write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
    if args.report:
        written = report.write_report_dir(full, result.rows, args.report, worst=args.worst)
        print(f"wrote {', '.join(str(p) for p in written)}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.headline(full), indent=2, ensure_ascii=False))
    else:
        meta = full["meta"]
        print(f"{meta['dataset']}: {meta['questions']} questions, {meta['mode']} mode")
        print(report.format_table(full["metrics"]))
        print()
        print(report.format_misses(result.rows, min(args.worst, 5)))
        if "sweep" in full:
            print()
            print("abstention thresholds (every question asked at 0, each threshold applied after):")
            print(sweep.format_sweep(full["sweep"]))
        if args.report:
            print(f"report: {args.report / 'report.md'}")
    failed = False
    if floors is not None and args.suggest_floors:
        print(f"suggested floors: {gate.suggest(full['metrics'], list(floors.floors))}")
    if args.gate and floors is not None:
        passed, lines = gate.verdict(full["metrics"], floors)
        print("\n".join(lines))
        failed = not passed
    errors = int(full["metrics"]["errors"]["value"] or 0)
    if errors:
        first = next(r for r in result.rows if r.error)
        print(f"qa eval: {errors} question(s) raised errors, e.g. {first.id}: {first.error}", file=sys.stderr)
        failed = True
    return EXIT_FAILED if failed else 0


def _run_compare(args: argparse.Namespace) -> int:
    from qa.evaluate import report
    from qa.evaluate.compare import compare, format_comparison

    try:
        a, b = (report.load(p) for p in args.compare)
    except (OSError, ValueError) as err:
        print(f"qa eval --compare: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    result = compare(a, b)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        names = (args.compare[0].name, args.compare[1].name)
        if names[0] == names[1]:  # e.g. two runs' report.json: name them by folder
            names = (str(args.compare[0]), str(args.compare[1]))
        print(format_comparison(result, names=names))
    return 0
