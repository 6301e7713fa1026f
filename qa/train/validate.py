"""Validation on the training split's held-back slice: scores and the abstention threshold.

The abstention threshold is chosen here, on training-side data (the paragraph-level
validation slice, which holds SQuAD v2.0 training-article unanswerables and
paragraph-swap negatives), never on the held-out benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass

from tqdm import tqdm

from qa.evaluate.metrics import abstention_curve, best_em, best_f1, threshold_keeping
from qa.reader import Reader
from qa.squad import QAExample


@dataclass
class ValidationReport:
    em: float  # answerable questions, best span always predicted (SQuAD v1.1 style)
    f1: float
    answerable: int
    unanswerable: int
    curve: list[tuple[float, float | None, float | None]]  # (threshold, answerable kept, unanswerable abstained)
    threshold: float  # largest threshold keeping >= `keep` of the answerable questions

    def lines(self) -> list[str]:
        rows = [f"validation: EM {self.em:.1f}  F1 {self.f1:.1f}  ({self.answerable} answerable, "
                f"{self.unanswerable} unanswerable)",
                "threshold  kept(answerable)  abstained(unanswerable)"]
        rows += [f"{t:9.2f}  {k or 0:16.1%}  {a or 0:23.1%}" for t, k, a in self.curve[::5]]
        rows.append(f"chosen threshold: {self.threshold:.2f}")
        return rows


def validate(reader: Reader, examples: list[QAExample], keep: float = 0.9, progress: bool = True) -> ValidationReport:
    answerable_scores, unanswerable_scores, ems, f1s = [], [], [], []
    for example in tqdm(examples, desc="validate", disable=not progress):
        spans = reader.read(example.question, [example.context], top_n=1)
        best = spans[0] if spans else None
        score = best.score if best else float("-inf")  # no span at all: lost at every threshold
        if example.is_impossible:
            unanswerable_scores.append(score)
            continue
        references = [text for text, _ in example.answers]
        prediction = best.text if best else ""
        ems.append(best_em(prediction, references))
        f1s.append(best_f1(prediction, references))
        answerable_scores.append(score)
    curve = abstention_curve(answerable_scores, unanswerable_scores, [step / 100 for step in range(101)])
    threshold = threshold_keeping(answerable_scores, keep, step=0.01) or 0.0
    return ValidationReport(
        em=100 * sum(ems) / max(1, len(ems)),
        f1=100 * sum(f1s) / max(1, len(f1s)),
        answerable=len(answerable_scores),
        unanswerable=len(unanswerable_scores),
        curve=curve,
        threshold=threshold,
    )


def validate_run(config, model_dir, out_path=None, limit: int | None = None) -> ValidationReport:
    """Rebuild the run's validation slice (deterministic from its config) and score `model_dir`."""
    import json
    from pathlib import Path

    from qa.train.data import build_training_set

    _, val = build_training_set(
        Path(config.data_dir), config.sources, config.negative_fraction, config.val_per_mille, config.seed
    )
    report = validate(Reader(model_dir), val[:limit] if limit else val)
    if out_path:
        Path(out_path).write_text(json.dumps(report.__dict__, indent=1))
    return report
