"""One question + what the engine said -> one scored `Row`.

Kept apart from the runner so the per-question scoring rules (what counts as a
retrieval hit, a correct citation, an abstention) can be tested with hand-made answers,
without a model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from qa.evaluate import metrics
from qa.evaluate.datasets import EvalQuestion


@dataclass
class Row:
    """Everything the report shows about one question; `None` = metric does not apply."""

    id: str
    question: str
    history: list[str]
    answers: list[str]
    answerable: bool
    gold_source: str | None
    gold_lines: list[int]
    predicted: str  # "" when the system abstained
    best_text: str  # the best span even when abstaining (for the calibration curve)
    score: float  # the reader's score, which the threshold applies to
    abstained: bool
    em: float
    f1: float
    best_correct: bool  # is `best_text` right? (False for unanswerable questions)
    cited_source: str | None = None
    cited_lines: list[int] | None = None  # [first, last]
    cited_quote: str | None = None  # the whole cited line
    cited_span: list[int] | None = None  # [start, end] of the answer within cited_quote
    citation_correct: bool | None = None
    gold_rank: int | None = None  # rank of the first retrieved chunk with a gold line
    story_rank: int | None = None  # rank of the first retrieved chunk from the gold source (article)
    retrieved: int = 0
    timings: dict[str, float] = field(default_factory=dict)  # seconds
    resolved_question: str = ""
    error: str | None = None
    confidence: float | None = None  # calibrated (`qa.calibrate`); None: the reader has no calibration
    missing_share: float = 0.0  # share of the question's key terms the answer's article lacks

    @property
    def is_followup(self) -> bool:
        return bool(self.history)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Row:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def source_matches(found: str | None, gold: str | None) -> bool:
    """Whether a chunk/citation source is the question's gold source.

    No gold source means any source is accepted. Sources are paths relative to the
    corpus root, so a corpus opened one directory higher yields `dir/file` for `file`.
    """
    if gold is None:
        return True
    if found is None:
        return False
    return found == gold or found.endswith("/" + gold)


def _base_row(q: EvalQuestion) -> dict[str, Any]:
    return {
        "id": q.id,
        "question": q.question,
        "history": list(q.history),
        "answers": list(q.answers),
        "answerable": q.answerable,
        "gold_source": q.source,
        "gold_lines": list(q.lines),
    }


def _answer_scores(q: EvalQuestion, predicted: str, best_text: str) -> dict[str, Any]:
    references = list(q.answers) if q.answerable else []
    return {
        "predicted": predicted,
        "best_text": best_text,
        "em": metrics.best_em(predicted, references),
        "f1": metrics.best_f1(predicted, references),
        "best_correct": bool(q.answerable and best_text and metrics.best_em(best_text, references)),
    }


def _citation_correct(q: EvalQuestion, predicted: str, source: str | None, lines: list[int] | None) -> bool | None:
    """None unless the system answered a question that has gold lines."""
    if not predicted or not q.lines:
        return None
    if lines is None or not source_matches(source, q.source):
        return False
    return metrics.citation_hits_gold((lines[0], lines[-1]), q.lines)


def score_answer(q: EvalQuestion, answer: Any, floor: float | None = None) -> Row:
    """Score a `qa.types.Answer` (or anything shaped like one) from --mode system.

    The runner asks the assistant with threshold 0 so the best span and its citation
    survive for the calibration curve and the misses table; `floor` then re-applies the
    assistant's rule (abstain when the score is below the threshold). An answer the
    engine declined even at threshold 0 (nothing citable found) stays declined.
    """
    engine_declined = bool(answer.abstained)
    abstained = engine_declined or (floor is not None and float(answer.score) < floor)
    best_text = "" if engine_declined else (answer.text or "").strip()
    predicted = "" if abstained else best_text
    cited_source = cited_lines = cited_quote = cited_span = None
    if answer.citations:
        first = answer.citations[0]
        cited_source, cited_lines, cited_quote = first.source, [first.line, first.end_line], first.quote
        cited_span = [first.start, first.end]
    gold_rank = story_rank = None
    if q.source:
        story_rank = next(
            (rank for rank, hit in enumerate(answer.passages, 1) if source_matches(hit.chunk.source, q.source)), None
        )
    if q.lines:
        retrieved_lines = [
            [p.line for p in hit.chunk.pieces] if source_matches(hit.chunk.source, q.source) else []
            for hit in answer.passages
        ]
        gold_rank = metrics.first_gold_rank(retrieved_lines, q.lines)
    return Row(
        **_base_row(q),
        **_answer_scores(q, predicted, best_text),
        score=float(answer.score),
        abstained=abstained,
        cited_source=cited_source,
        cited_lines=cited_lines,
        cited_quote=cited_quote,
        cited_span=cited_span,
        citation_correct=_citation_correct(q, predicted, cited_source, cited_lines),
        gold_rank=gold_rank,
        story_rank=story_rank,
        retrieved=len(answer.passages),
        timings={k: float(v) for k, v in (answer.timings or {}).items()},
        resolved_question=getattr(answer, "resolved_question", "") or "",
        confidence=getattr(answer, "confidence", None),
        missing_share=float(getattr(answer, "missing_share", 0.0)),
    )


def score_span(q: EvalQuestion, span: Any | None, threshold: float | None, seconds: float) -> Row:
    """Score the reader's best span from --mode reader (gold passages given, no retrieval).

    `threshold` None means never abstain (the SQuAD v1.1 setting); otherwise a best
    score below it is an abstention, predicted as "".
    """
    best_text = span.text.strip() if span is not None else ""
    score = float(span.score) if span is not None else 0.0
    abstained = not best_text or (threshold is not None and score < threshold)
    predicted = "" if abstained else best_text
    cited_source = cited_lines = cited_quote = cited_span = None
    choice = bool(span is not None and q.contexts and (len(q.contexts) > 1 or len(q.contexts[span.passage].lines) > 1))
    if span is not None and best_text and q.contexts:
        context = q.contexts[span.passage]
        first, last = context.line_at(span.start), context.line_at(max(span.end - 1, span.start))
        cited_source, cited_lines = context.source, [first, last]
        line_start = context.text.rfind("\n", 0, span.start) + 1
        cited_quote = context.text.split("\n")[context.text.count("\n", 0, span.start)]
        cited_span = [span.start - line_start, min(span.end - line_start, len(cited_quote))]
    return Row(
        **_base_row(q),
        **_answer_scores(q, predicted, best_text),
        score=score,
        abstained=abstained,
        cited_source=cited_source,
        cited_lines=cited_lines,
        cited_quote=cited_quote,
        cited_span=cited_span,
        # With a one-line passage (nearly every SQuAD paragraph) the citation cannot miss,
        # so it is only scored when the reader had several lines to choose from.
        citation_correct=_citation_correct(q, predicted, cited_source, cited_lines) if choice else None,
        timings={"read": seconds, "total": seconds},
    )


def error_row(q: EvalQuestion, message: str) -> Row:
    """A question the engine failed on: scored as a wrong answer, with the error kept."""
    scores = {**_answer_scores(q, "", ""), "em": 0.0, "f1": 0.0}
    return Row(**_base_row(q), **scores, score=0.0, abstained=False, error=message)
