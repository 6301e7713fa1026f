"""The `qa` command line: index a corpus, ask questions, train and export the reader, evaluate."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from qa.config import (
    BUNDLED_READERS,
    PRECISION_ENV,
    Precision,
    Retrieval,
    Settings,
    Store,
    default_reader_name,
    models_offline,
)
from qa.errors import NewsQAError

if TYPE_CHECKING:
    from qa.train.trainer import TrainConfig

# `qa ask` builds or updates the index itself only when that means reading at most this
# much (about 2,000 passages: seconds to a minute or two on a CPU, the bundled seeds are
# 8 KB); more is `qa index`'s job, with progress bars, and ask says so instead of hanging.
ASK_MAX_UPDATE_BYTES = 1024 * 1024
_CHUNKING = ("chunk_tokens", "chunk_overlap")


# Every command: 0 done, 2 bad input (one `error:` line, no traceback: any NewsQAError),
# 130 interrupted; `qa eval` also exits 1 when the run finished but questions raised errors.
EXIT_BAD_INPUT = 2


class CliError(NewsQAError):
    """A problem with the user's input found by the CLI itself (a missing path)."""


def _format_warning(message, category, filename, lineno, line=None) -> str:
    return f"warning: {message}\n"


def _settings(args: argparse.Namespace) -> Settings:
    return Settings().with_overrides(
        index_dir=getattr(args, "index", None),
        reader_path=getattr(args, "reader", None),
        top_k=getattr(args, "top_k", None),
        rerank_pool=getattr(args, "rerank", None),
        threshold=getattr(args, "threshold", None),
        retrieval=getattr(args, "retrieval", None),
        reader_precision=getattr(args, "precision", None),
        chunk_tokens=getattr(args, "chunk_tokens", None),
        chunk_overlap=getattr(args, "chunk_overlap", None),
        store=getattr(args, "store", None),
        store_uri=getattr(args, "store_uri", None),
    )


def _corpus_paths(args: argparse.Namespace, settings: Settings) -> list[Path]:
    """--corpus if given; else what the existing index was built from; else ./seeds."""
    from qa.store import CorpusIndex

    if args.corpus:
        paths = [Path(p) for p in args.corpus]
    else:
        paths = CorpusIndex.stored_roots(settings.index_dir) or [settings.corpus_dir]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise CliError(f"corpus path not found: {', '.join(missing)}")
    return paths


def _ask_settings(args: argparse.Namespace) -> Settings:
    """`_settings`, with the existing index's chunking unless flags say otherwise.

    `ask` never rebuilds an index with other chunking (hours for a big corpus): flags
    that differ from the index's are refused, and `qa index` rebuilds deliberately.
    """
    from qa.store import CorpusIndex

    settings = _settings(args)
    stored = CorpusIndex.stored_params(settings.index_dir) or {}
    built = {name: stored[name] for name in _CHUNKING if isinstance(stored.get(name), int)}
    if len(built) < len(_CHUNKING):
        return settings  # no index yet (or an unreadable one): built with the flags given
    differ = [name for name in _CHUNKING if getattr(settings, name) != built[name] and getattr(args, name) is not None]
    if differ:
        roots = CorpusIndex.stored_roots(settings.index_dir) or [Path("PATH...")]
        command = " ".join(["qa index", *map(str, roots), "--index", str(settings.index_dir)])
        command += "".join(f" --{name.replace('_', '-')} {getattr(settings, name)}" for name in _CHUNKING)
        built_with = ", ".join(f"--{name.replace('_', '-')} {built[name]}" for name in _CHUNKING)
        raise CliError(
            f"the index at {settings.index_dir} was built with {built_with}; run `{command}` to rebuild it with yours"
        )
    settings = settings.with_overrides(**built)
    stored_store = CorpusIndex.stored_store(settings.index_dir)
    if stored_store and getattr(args, "store", None) is None:  # ask searches where the index lives
        store, uri = stored_store
        settings = settings.with_overrides(store=store, store_uri=getattr(args, "store_uri", None) or uri)
    return settings


def _confirm_corpus_change(index_dir: Path, paths: list[Path], yes: bool) -> bool:
    """True to go on. An existing index of other corpus paths is changed only when asked:
    say what it drops and embeds, then ask y/N on a terminal; elsewhere refuse without --yes."""
    from qa.store import CorpusIndex

    change = CorpusIndex.corpus_change(index_dir, paths)
    if change is None or not change.changed:
        return True
    print(f"index {index_dir}: {change.describe()}", file=sys.stderr)
    if yes:
        return True
    if not sys.stdin.isatty():
        raise CliError(
            f"the index at {index_dir} holds {', '.join(map(str, change.stored))}; pass --yes to replace "
            f"that corpus with {', '.join(map(str, paths))} (or name all the paths to keep them)"
        )
    try:
        reply = input("Change the index's corpus? [y/N] ")
    except EOFError:
        reply = ""
    return reply.strip().lower() in ("y", "yes")


def cmd_index(args: argparse.Namespace) -> int:
    from qa.stores import open_index

    settings = _settings(args)
    paths = [Path(p) for p in args.paths]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise CliError(f"path not found: {', '.join(missing)}")
    if not _confirm_corpus_change(settings.index_dir, paths, args.yes):
        print(f"cancelled: the index at {settings.index_dir} is unchanged")
        return 1
    # a damaged index is rebuilt (with a warning); a second `qa index` on the same
    # directory waits for the first (one line says so), then updates from its result
    index, report = open_index(settings.index_dir, paths, settings, repair=True)
    articles = index.articles()
    print(
        f"index {settings.index_dir}: {report}; {len(index.files)} files, {len(articles)} articles, "
        f"{len(index.chunks)} passages"
    )
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from qa.assistant import Assistant, validate_question
    from qa.reader import check_reader_dir
    from qa.types import Filter

    question = validate_question(args.question)  # fail fast, before loading any model
    where = Filter.of(args.since, args.until, args.source)  # a bad date fails as fast
    settings = _ask_settings(args)
    check_reader_dir(settings.reader_path)  # a bad --reader fails before any indexing
    paths = _corpus_paths(args, settings)
    if args.corpus and not _confirm_corpus_change(settings.index_dir, paths, args.yes):
        print(f"cancelled: the index at {settings.index_dir} is unchanged")
        return 1
    bot = Assistant.from_corpus(
        paths,
        settings.index_dir,
        settings,
        bar=not args.json,
        max_update_bytes=ASK_MAX_UPDATE_BYTES,
    )
    result = bot.answer(question, history=args.history, filter=where)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return 0
    unsure = ", unsure: check the line" if result.unsure else ""
    filtered = f"  (filtered: {result.filter.describe()})" if result.filter else ""
    confidence = f"confidence {result.shown_confidence:.2f}{unsure}"
    if result.missing_terms and not result.abstained:
        confidence += f"; its article never mentions {', '.join(result.missing_terms)}"
    print((result.text if result.abstained else f"{result.text}  ({confidence})") + filtered)
    for n, c in enumerate(result.citations, 1):
        print(f"[{n}] {c}: {c.quote}")
    if result.abstained and result.passages:
        print("closest passages:")
        for hit in result.passages[:3]:
            print(f"  {hit.chunk.source}:{hit.chunk.pieces[0].line}: {hit.chunk.text[:160]}")
    return 0


def _training_config(path: str, **overrides: object) -> TrainConfig:
    """A training config from its file, with its training data present, or a CliError."""
    from qa.train.trainer import TrainConfig

    try:
        config = TrainConfig.from_file(Path(path), **overrides)
    except (OSError, ValueError, TypeError) as exc:  # missing file, bad JSON, unknown fields
        raise CliError(f"cannot use training config {path}: {exc}") from exc
    if not Path(config.data_dir).exists():
        raise CliError(f"training data not found at {config.data_dir} (see ../shared/README.md)")
    return config


def cmd_train_reader(args: argparse.Namespace) -> int:
    from qa.train.trainer import train_reader

    config = _training_config(args.config, data_dir=args.data_dir, threads=args.threads)
    final = train_reader(config, Path(args.run_dir), max_steps=args.max_steps)
    print(f"model written to {final}")
    from qa.train.validate import validate_run

    report = validate_run(config, final, Path(args.run_dir) / "validation.json")
    print("\n".join(report.lines()))
    if args.export:
        from qa.train.export import export_reader

        print(f"exported to {export_reader(final, Path(args.export))}")
    return 0


def cmd_validate_reader(args: argparse.Namespace) -> int:
    from qa.config import bundled_reader
    from qa.train.validate import validate_run

    if args.every < 1:
        raise CliError(f"--every must be at least 1, got {args.every}")
    config = _training_config(args.config, data_dir=args.data_dir)
    model = bundled_reader(Path(args.model))
    report = validate_run(config, model, args.json, every=args.every)
    print("\n".join(report.lines()))
    return 0


def cmd_export_reader(args: argparse.Namespace) -> int:
    from qa.train.export import export_reader

    print(f"exported to {export_reader(Path(args.model), Path(args.out))}")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from qa.evaluate.calibration import fit, samples_from_rows

    samples = [s for path in args.rows for s in samples_from_rows(Path(path))]
    calibration = fit(samples, l2=args.l2)
    w = calibration.weights
    print(f"fitted on {calibration.rows} answers ({', '.join(calibration.fitted_on)})")
    print(f"confidence = sigmoid({w[0]:+.3f} {w[1]:+.3f} * logit(score) {w[2]:+.3f} * share of key terms missing)")
    right, lacking = calibration.missing_counts
    print(
        f"answers whose article lacks a key term: {right} of {lacking} right, "
        f"so shown at most {calibration.missing_cap:.0%}"
    )
    print(
        f"ECE, each set scored by a fit on the others: reader score {calibration.ece_before:.3f}, "
        f"calibrated {calibration.ece_after:.3f}"
    )
    if args.out:
        print(f"written to {calibration.save(Path(args.out))}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    defaults = Settings()  # help texts quote the real defaults, so they cannot drift
    parser = argparse.ArgumentParser(prog="qa", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--index", type=Path, help="index directory (default: ./index)")
        p.add_argument(
            "--chunk-tokens", type=int, help=f"passage size in embedder tokens (default {defaults.chunk_tokens})"
        )
        p.add_argument(
            "--chunk-overlap", type=int, help=f"overlap between passages in tokens (default {defaults.chunk_overlap})"
        )
        p.add_argument(
            "--store",
            choices=Store.values(),
            help=f"where vectors and searches live (default {defaults.store}; milvus needs pip install -e '.[milvus]')",
        )
        p.add_argument(
            "--store-uri",
            help="with --store milvus: a Milvus Lite file (x.db; default <index>/milvus.db) or http://host:19530",
        )

    p = sub.add_parser(
        "index",
        help="build or update the index of articles",
        description="Build or update the index of articles. An index whose files fail their checksums "
        "is rebuilt (with a warning). One writer at a time: while another `qa index` writes the same "
        "index directory this one waits (saying for which process), then updates from its result; "
        "`qa ask` does not wait but says the index is being written. Paths other than the ones the "
        "index holds change its corpus: what that drops and embeds is printed first, then it asks y/N "
        "(without a terminal it refuses unless --yes).",
    )
    p.add_argument("paths", nargs="+", help="files or directories of .txt/.md/.jsonl articles")
    p.add_argument(
        "--yes",
        action="store_true",
        help="change the corpus of an existing index without asking (what it drops and embeds is still printed)",
    )
    common(p)
    p.set_defaults(func=cmd_index)

    p = sub.add_parser(
        "ask",
        help="answer a question from the indexed articles",
        description="Answer a question from the indexed articles. A missing or out-of-date index is "
        f"built or updated first only if that means reading at most {ASK_MAX_UPDATE_BYTES / 2**20:g} MB "
        "of files; otherwise run `qa index` first. Chunking flags must match the index's. --corpus "
        "paths other than the index's change its corpus: what that drops and embeds is printed, then it "
        "asks y/N (without a terminal it refuses unless --yes).",
    )
    p.add_argument("question")
    p.add_argument("--corpus", nargs="+", help="article paths (default: what the index holds, else ./seeds)")
    p.add_argument(
        "--reader",
        type=Path,
        help=f"a bundled reader ({', '.join(BUNDLED_READERS)}) or a Hugging Face QA model directory "
        f"(default: {default_reader_name()})",
    )
    p.add_argument("--top-k", type=int, help=f"passages to read (default {defaults.top_k})")
    p.add_argument(
        "--rerank",
        type=int,
        metavar="N",
        help="retrieve N passages and read the top-k of them the reranker (the fast reader) scores best "
        f"(default {defaults.rerank_pool}: off)",
    )
    p.add_argument(
        "--threshold",
        type=float,
        help="abstain below this confidence (default: the one chosen for the reader, "
        f"{defaults.abstain_below:.2f} for the default)",
    )
    p.add_argument("--retrieval", choices=Retrieval.values(), help=f"retrieval mode (default {defaults.retrieval})")
    p.add_argument(
        "--precision",
        choices=Precision.values(),
        help=f"reader arithmetic (default {defaults.reader_precision}; ${PRECISION_ENV} sets the default)",
    )
    p.add_argument("--history", nargs="*", default=None, help="earlier questions of the conversation, oldest first")
    p.add_argument(
        "--since", metavar="YYYY-MM-DD", help="only articles dated on or after this day (undated ones are left out)"
    )
    p.add_argument(
        "--until", metavar="YYYY-MM-DD", help="only articles dated on or before this day (undated ones are left out)"
    )
    p.add_argument(
        "--source",
        action="append",
        metavar="PATTERN",
        help="only these sources (repeatable): a citation source (a.txt, bbc.jsonl#business/001), a file "
        "(bbc.jsonl), or a prefix ending in / or # (uploads/, bbc.jsonl#business/)",
    )
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument(
        "--yes",
        action="store_true",
        help="with --corpus other than the index's: change its corpus without asking (what changes is printed)",
    )
    common(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("train-reader", help="fine-tune the extractive reader (resumable)")
    p.add_argument("--config", default=str(Path(__file__).parent / "train" / "reader_config.json"))
    p.add_argument("--data-dir", help="QA data directory (default from the config: ../shared/data)")
    p.add_argument("--run-dir", default="runs/reader", help="checkpoints and final model go here")
    p.add_argument("--max-steps", type=int, help="stop after this many steps (resume later)")
    p.add_argument("--threads", type=int, help="CPU threads (default from the config; may change on resume)")
    p.add_argument("--export", help="after training, export an fp16 copy to this directory")
    p.set_defaults(func=cmd_train_reader)

    p = sub.add_parser(
        "validate-reader",
        help="score a reader on a training config's validation slice",
        description="Score a reader on the validation slice a training config holds back (the same "
        "questions for every reader of that config): EM, F1, the threshold keeping 90 %% of answerable "
        "questions and the share of each kind of unanswerable declined there. The model cards' "
        "comparisons use --config qa/train/reader_config_mpnet.json --every 3.",
    )
    p.add_argument("model", help="a bundled reader (fast, accurate) or a reader model directory")
    p.add_argument("--config", default=str(Path(__file__).parent / "train" / "reader_config_mpnet.json"))
    p.add_argument("--data-dir", help="QA data directory (default from the config: ../shared/data)")
    p.add_argument("--every", type=int, default=1, help="score every n-th example only (default 1: all)")
    p.add_argument("--json", help="also write the report here")
    p.set_defaults(func=cmd_validate_reader)

    p = sub.add_parser("export-reader", help="write a compact fp16 copy of a trained reader")
    p.add_argument("model", help="trained model directory")
    p.add_argument("--out", default=str(Path(__file__).parent / "reader_model"))
    p.set_defaults(func=cmd_export_reader)

    p = sub.add_parser(
        "calibrate",
        help="fit the reader's confidence calibration on development rows",
        description="Fit calibrated confidence (qa/calibrate.py) on the rows of development runs "
        "(scripts/dev_eval.py --json ROWS.json), print held-out ECE before and after, and write "
        "calibration.json into --out (the reader directory it was fitted for).",
    )
    p.add_argument("rows", nargs="+", help="JSON files of scored rows (dev_eval.py --json)")
    p.add_argument("--out", help="reader directory (or file) to write calibration.json to")
    p.add_argument("--l2", type=float, default=1.0, help="L2 penalty on the weights (default 1.0)")
    p.set_defaults(func=cmd_calibrate)

    from qa.evaluate import command as eval_command  # cheap: loads no model or plotting library

    eval_command.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    warnings.formatwarning = _format_warning
    models_offline()
    try:
        args = build_parser().parse_args(argv)  # Settings() reads $QA_READER_PRECISION: may refuse it
        return args.func(args)
    except NewsQAError as exc:  # bad input or a missing model: one readable line; anything else is a bug
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
