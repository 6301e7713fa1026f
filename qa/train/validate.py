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
    em: float  # human-written answerable questions, best span always predicted (SQuAD v1.1 style)
    f1: float
    answerable: int  # human-written questions the figures and the threshold come from
    unanswerable: int
    curve: list[tuple[float, float | None, float | None]]  # (threshold, answerable kept, unanswerable abstained)
    threshold: float  # largest threshold keeping >= `keep` of the human-written answerable questions
    synthetic: dict[str, float | int | None]  # the same figures on synthetic questions, reported apart

    def lines(self) -> list[str]:
        rows = [f"validation, human-written questions: EM {self.em:.1f}  F1 {self.f1:.1f}  "
                f"({self.answerable} answerable, {self.unanswerable} unanswerable)"]
        if self.synthetic.get("answerable"):
            rows.append(f"validation, synthetic questions: EM {self.synthetic['em']:.1f}  F1 {self.synthetic['f1']:.1f}  "
                        f"({self.synthetic['answerable']} answerable, {self.synthetic['unanswerable']} unanswerable)")
        rows.append("threshold  kept(answerable)  abstained(unanswerable)")
        rows += [f"{t:9.2f}  {k or 0:16.1%}  {a or 0:23.1%}" for t, k, a in self.curve[::5]]
        rows.append(f"chosen threshold: {self.threshold:.2f}")
        return rows


def is_synthetic(example: QAExample) -> bool:
    """Template-made questions (`qa.train.synthetic`): easier than real ones, so they never set the threshold."""
    return example.id.startswith("synthetic_news/")


def validate(reader: Reader, examples: list[QAExample], keep: float = 0.9, progress: bool = True) -> ValidationReport:
    """Score every example once; figures and threshold from the human-written ones.

    Synthetic questions copy their passage's wording and the reader answers them with
    near-certainty (v2: 90 % kept at 0.93 on a synthetic-heavy slice), so letting them into
    the threshold choice would make the assistant abstain on ordinary user questions.
    """
    scored = {True: ([], [], [], []), False: ([], [], [], [])}  # synthetic? -> answerable, unanswerable, em, f1
    for example in tqdm(examples, desc="validate", disable=not progress):
        spans = reader.read(example.question, [example.context], top_n=1)
        best = spans[0] if spans else None
        score = best.score if best else float("-inf")  # no span at all: lost at every threshold
        answerable_scores, unanswerable_scores, ems, f1s = scored[is_synthetic(example)]
        if example.is_impossible:
            unanswerable_scores.append(score)
            continue
        references = [text for text, _ in example.answers]
        prediction = best.text if best else ""
        ems.append(best_em(prediction, references))
        f1s.append(best_f1(prediction, references))
        answerable_scores.append(score)

    def pct(values: list[float]) -> float:
        return 100 * sum(values) / max(1, len(values))

    answerable_scores, unanswerable_scores, ems, f1s = scored[False]
    s_answerable, s_unanswerable, s_ems, s_f1s = scored[True]
    return ValidationReport(
        em=pct(ems),
        f1=pct(f1s),
        answerable=len(answerable_scores),
        unanswerable=len(unanswerable_scores),
        curve=abstention_curve(answerable_scores, unanswerable_scores, [step / 100 for step in range(101)]),
        threshold=threshold_keeping(answerable_scores, keep, step=0.01) or 0.0,
        synthetic={"em": pct(s_ems), "f1": pct(s_f1s), "answerable": len(s_answerable), "unanswerable": len(s_unanswerable)},
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
