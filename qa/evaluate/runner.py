"""Drive the engine over a question set: one scored `Row` per question.

Two modes. ``system`` asks the full `Assistant` (retrieve, read, cite) exactly as a
user would, over the given corpus. ``reader`` hands the reader the gold passages and
nothing else, isolating reader quality from retrieval (the number SQuAD papers
report). The engine objects are duck-typed so tests can drive the loops with fakes.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from qa.config import Settings
from qa.evaluate.datasets import DatasetError, EvalQuestion, QuestionSet, attach_contexts, write_squad_corpus
from qa.evaluate.scoring import Row, error_row, score_answer, score_span


class AnswersQuestions(Protocol):
    def answer(
        self, question: str, history: list[str] | None = None, top_k: int | None = None, threshold: float | None = None
    ) -> Any: ...


class ReadsPassages(Protocol):
    def read(self, question: str, passages: list[str], /) -> list[Any]: ...


@dataclass
class EvalOptions:
    """What `qa eval` was asked to do (None = the engine's default setting)."""

    mode: str = "system"  # "system" or "reader"
    corpus: list[Path] | None = None
    index_dir: Path | None = None
    reader: Path | None = None
    top_k: int | None = None
    rerank_pool: int | None = None
    threshold: float | None = None
    retrieval: str | None = None
    precision: str | None = None
    progress: bool = True
    reader_object: Any = None  # an already-loaded reader (tests, notebooks); None: load options.reader


@dataclass
class EvalRun:
    """The rows of a finished run plus what is needed to reproduce and label it."""

    rows: list[Row]
    meta: dict[str, Any] = field(default_factory=dict)
    k: int | None = None


def _progress(items: Sequence[EvalQuestion], enabled: bool, desc: str) -> Iterator[tuple[EvalQuestion, Any]]:
    """Yield (question, bar) pairs; the bar shows running EM. Drawn on stderr only,
    so `--json` output on stdout stays machine-readable."""
    from tqdm import tqdm

    bar = tqdm(items, desc=desc, unit="q", file=sys.stderr, disable=not enabled, dynamic_ncols=True)
    for item in bar:
        yield item, bar
    bar.close()


def _update_bar(bar: Any, rows: list[Row]) -> None:
    if getattr(bar, "disable", True):
        return
    bar.set_postfix(em=f"{sum(r.em for r in rows) / len(rows):.3f}", refresh=False)


def run_system(
    questions: Sequence[EvalQuestion],
    assistant: AnswersQuestions,
    top_k: int | None = None,
    threshold: float | None = None,
    progress: bool = False,
) -> list[Row]:
    """Ask the assistant every question (with its chat history) and score the answers.

    The assistant is asked at threshold 0 and `threshold` is applied here (see
    `score_answer`), which yields the same abstentions plus the withheld spans.
    """
    rows: list[Row] = []
    for q, bar in _progress(questions, progress, "eval (system)"):
        try:
            answer = assistant.answer(q.question, history=list(q.history) or None, top_k=top_k, threshold=0.0)
            rows.append(score_answer(q, answer, threshold))
        except Exception as err:  # noqa: BLE001 - one failing question must not lose a long run; it is a row
            rows.append(error_row(q, f"{type(err).__name__}: {err}"))
        _update_bar(bar, rows)
    return rows


def read_best(reader: ReadsPassages, question: EvalQuestion) -> tuple[Any, float]:
    """(the reader's best span over the question's gold passages or None, seconds taken):
    the one reader loop of `qa eval --mode reader` and the reader benchmark."""
    if not question.contexts:
        raise DatasetError(f"question {question.id} has no gold passage to read")
    start = time.perf_counter()
    spans = reader.read(question.question, [c.text for c in question.contexts])
    return (spans[0] if spans else None), time.perf_counter() - start


def run_reader(
    questions: Sequence[EvalQuestion], reader: ReadsPassages, threshold: float | None, progress: bool = False
) -> list[Row]:
    """Give the reader each question's gold passages; score its best span."""
    rows: list[Row] = []
    for q, bar in _progress(questions, progress, "eval (reader)"):
        try:
            span, seconds = read_best(reader, q)
            rows.append(score_span(q, span, threshold, seconds))
        except Exception as err:  # noqa: BLE001 - as in run_system: the error is the row
            rows.append(error_row(q, f"{type(err).__name__}: {err}"))
        _update_bar(bar, rows)
    return rows


# ------------------------------------------------------------------ whole runs


def _settings(options: EvalOptions) -> Settings:
    return Settings().with_overrides(
        reader_path=options.reader,
        top_k=options.top_k,
        rerank_pool=options.rerank_pool,
        threshold=options.threshold,
        retrieval=options.retrieval,
        reader_precision=options.precision,
    )


def evaluate(qset: QuestionSet, options: EvalOptions) -> EvalRun:
    """Run a whole question set in the requested mode and label the result."""
    settings = _settings(options)
    started = time.perf_counter()
    if options.mode == "reader":
        rows, reader, threshold = _evaluate_reader(qset, options, settings)
        k = None
    elif options.mode == "system":
        rows, reader = _evaluate_system(qset, options, settings)
        k, threshold = settings.top_k, settings.abstain_below
    else:
        raise ValueError(f"unknown mode {options.mode!r} (expected 'system' or 'reader')")
    meta = {
        "dataset": qset.name,
        "format": qset.kind,
        "mode": options.mode,
        "questions": len(rows),
        "corpus": [str(p) for p in options.corpus] if options.corpus and qset.kind == "jsonl" else None,
        "reader": str(settings.reader_path),
        # what ran: "auto" resolves per CPU, and bf16 and fp32 differ by an answer or two
        "precision": getattr(reader, "precision", str(settings.reader_precision)),
        "retrieval": str(settings.retrieval) if options.mode == "system" else None,
        "top_k": k,
        "threshold": threshold,
        "settings": settings.to_dict(),  # everything that made these answers (Settings.from_dict reads it)
        "commit": _git_commit(),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "wall_seconds": round(time.perf_counter() - started, 2),
    }
    return EvalRun(rows=rows, meta=meta, k=k)


def _evaluate_reader(
    qset: QuestionSet, options: EvalOptions, settings: Settings
) -> tuple[list[Row], ReadsPassages, float | None]:
    from qa.reader import Reader

    questions = qset.questions
    if qset.kind == "jsonl":
        questions = attach_contexts(questions, options.corpus[0] if options.corpus else settings.corpus_dir)
    # SQuAD v1.1 has no unanswerable questions and is scored without abstaining (as
    # papers do); with unanswerable questions, or an explicit --threshold, we abstain.
    threshold = options.threshold
    if threshold is None and any(not q.answerable for q in questions):
        threshold = settings.abstain_below
    reader = options.reader_object or Reader.from_settings(settings)
    return run_reader(questions, reader, threshold, options.progress), reader, threshold


def _evaluate_system(qset: QuestionSet, options: EvalOptions, settings: Settings) -> tuple[list[Row], Any]:
    """Index the corpus (a temp index unless --index-dir, so a measurement never reuses
    or overwrites the user's index) and ask every question."""
    from qa.assistant import Assistant

    with tempfile.TemporaryDirectory(prefix="qa-eval-") as tmp:
        corpus: list[Path]
        if qset.kind == "squad":  # the selected paragraphs become the corpus
            corpus = [write_squad_corpus(qset.paragraphs, Path(tmp) / "corpus").parent]
            index_dir = Path(tmp) / "index"
        else:
            corpus = [Path(p) for p in options.corpus] if options.corpus else [Path(settings.corpus_dir)]
            index_dir = options.index_dir or Path(tmp) / "index"
        assistant = Assistant.from_corpus(
            corpus, index_dir=index_dir, settings=settings, reader=options.reader_object, bar=options.progress
        )
        rows = run_system(qset.questions, assistant, settings.top_k, settings.abstain_below, options.progress)
        return rows, assistant.reader


def _git_commit() -> str | None:
    """The commit evaluated, so a stored report can be traced to code (best effort)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None
