"""Validation on the training split's held-back slice: scores and the abstention threshold.

The abstention threshold is chosen here, on training-side data (the paragraph-level
validation slice, which holds SQuAD v2.0 training-article unanswerables, paragraph-swap
negatives and, when the run makes them, entity-swap negatives), never on the
held-out benchmarks. Abstention is reported per kind of negative: a paragraph about
something else is far easier to decline than a question one detail away from answerable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tqdm import tqdm

from qa.evaluate.metrics import abstention_curve, best_em, best_f1, threshold_keeping
from qa.reader import Reader
from qa.squad import QAExample
from qa.train.data import PARAGRAPH_SWAP_SUFFIX, SYNTHETIC_SOURCE
from qa.train.entity_swap import SWAP_ID_SUFFIX


@dataclass
class ValidationReport:
    em: float  # human-written answerable questions, best span always predicted (SQuAD v1.1 style)
    f1: float
    answerable: int  # human-written questions the figures and the threshold come from
    unanswerable: int
    curve: list[tuple[float, float | None, float | None]]  # (threshold, answerable kept, unanswerable abstained)
    threshold: float  # largest threshold keeping >= `keep` of the human-written answerable questions
    synthetic: dict[str, float | int]  # em, f1, answerable, unanswerable on synthetic questions, reported apart
    # human-written unanswerables by how they were made: share abstained at `threshold`
    abstained_by_kind: dict[str, dict[str, float | int]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        rows = [
            f"validation, human-written questions: EM {self.em:.1f}  F1 {self.f1:.1f}  "
            f"({self.answerable} answerable, {self.unanswerable} unanswerable)"
        ]
        if self.synthetic["answerable"]:
            rows.append(
                f"validation, synthetic questions: EM {self.synthetic['em']:.1f}  F1 {self.synthetic['f1']:.1f}  "
                f"({self.synthetic['answerable']} answerable, {self.synthetic['unanswerable']} unanswerable)"
            )
        rows.append("threshold  kept(answerable)  abstained(unanswerable)")
        rows += [f"{t:9.2f}  {k or 0:16.1%}  {a or 0:23.1%}" for t, k, a in self.curve[::5]]
        rows.append(f"chosen threshold: {self.threshold:.2f}")
        rows += [
            f"  abstained at {self.threshold:.2f} on {kind}: {k['abstained']:.1%} of {k['count']}"
            for kind, k in self.abstained_by_kind.items()
        ]
        return rows


@dataclass
class _Tally:
    """Scores and EM/F1 of one group of validation questions."""

    answerable: list[float] = field(default_factory=list)  # best-span scores
    unanswerable: list[float] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # negative_kind() of each unanswerable
    em: list[float] = field(default_factory=list)
    f1: list[float] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        return {
            "em": _percent(self.em),
            "f1": _percent(self.f1),
            "answerable": len(self.answerable),
            "unanswerable": len(self.unanswerable),
        }


def _percent(values: list[float]) -> float:
    return 100 * sum(values) / max(1, len(values))


def validate(reader: Reader, examples: list[QAExample], keep: float = 0.9, progress: bool = True) -> ValidationReport:
    """Score every example once; figures and threshold from the human-written ones.

    Synthetic questions copy their passage's wording and the reader answers them with
    near-certainty (v2: 90 % kept at 0.93 on a synthetic-heavy slice), so letting them into
    the threshold choice would make the assistant abstain on ordinary user questions.
    """
    human, synthetic = _Tally(), _Tally()
    for example in tqdm(examples, desc="validate", disable=not progress):
        spans = reader.read(example.question, [example.context], top_n=1)
        best = spans[0] if spans else None
        score = best.score if best else float("-inf")  # no span at all: lost at every threshold
        tally = synthetic if example.source == SYNTHETIC_SOURCE else human
        if example.is_impossible:
            tally.unanswerable.append(score)
            tally.kinds.append(negative_kind(example))
            continue
        references = [text for text, _ in example.answers]
        prediction = best.text if best else ""
        tally.em.append(best_em(prediction, references))
        tally.f1.append(best_f1(prediction, references))
        tally.answerable.append(score)
    threshold = threshold_keeping(human.answerable, keep, step=0.01) or 0.0
    by_kind: dict[str, list[float]] = {}
    for kind, score in zip(human.kinds, human.unanswerable):
        by_kind.setdefault(kind, []).append(score)
    return ValidationReport(
        **human.figures(),
        curve=abstention_curve(human.answerable, human.unanswerable, [step / 100 for step in range(101)]),
        threshold=threshold,
        synthetic=synthetic.figures(),
        abstained_by_kind={
            kind: {"count": len(scores), "abstained": sum(s < threshold for s in scores) / len(scores)}
            for kind, scores in sorted(by_kind.items())
        },
    )


def negative_kind(example: QAExample) -> str:
    """How an unanswerable example was made: they differ a lot in difficulty."""
    if example.id.endswith(SWAP_ID_SUFFIX):
        return "entity swap"
    if example.id.endswith(PARAGRAPH_SWAP_SUFFIX):
        return "paragraph swap"
    return "written unanswerable"


def validate_run(config, model_dir, out_path=None, limit: int | None = None, every: int = 1) -> ValidationReport:
    """Rebuild the run's validation slice (deterministic from its config) and score `model_dir`.

    `every` > 1 scores every n-th example only: the model cards compare readers on every
    third example of stage 1's slice, the same questions for each reader, at a third of
    the cost (v8: 256 answerable and 40 unanswerable, about 2 minutes on 2 cores).
    """
    import json
    from pathlib import Path

    if every < 1:
        raise ValueError(f"every must be at least 1, got {every}")
    _, val = config.training_set()
    val = val[::every]
    report = validate(Reader(model_dir), val[:limit] if limit else val)
    if out_path:
        Path(out_path).write_text(json.dumps(report.__dict__, indent=1))
    return report
