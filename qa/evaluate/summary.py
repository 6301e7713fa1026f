"""Per-question rows -> the run's headline metrics, each with the count it is over.

Every metric carries `n`, the number of questions it averages: a recall of 1.0 over 2
questions and over 2,000 are different claims, and a metric with n = 0 is reported as
None ("does not apply"), never as a flattering 0 or 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qa.evaluate import metrics
from qa.evaluate.scoring import Row

STAGES = ("retrieve", "read", "total")
# Metrics where a smaller number is better (compare.py and the charts need to know).
LOWER_IS_BETTER_PREFIXES = ("latency_", "ece", "false_abstention", "errors")


def lower_is_better(name: str) -> bool:
    return name.startswith(LOWER_IS_BETTER_PREFIXES)


def _metric(value: float | None, n: int) -> dict[str, Any]:
    return {"value": None if value is None else round(float(value), 6), "n": n}


def summarize(rows: Sequence[Row], k: int | None) -> dict[str, dict[str, Any]]:
    """Headline metrics of a run; `k` is the retrieval depth (None in --mode reader)."""
    answerable = [r for r in rows if r.answerable]
    unanswerable = [r for r in rows if not r.answerable]
    followups = [r for r in rows if r.is_followup]
    out: dict[str, dict[str, Any]] = {
        "em": _metric(metrics.mean(r.em for r in rows), len(rows)),
        "f1": _metric(metrics.mean(r.f1 for r in rows), len(rows)),
        "has_ans_em": _metric(metrics.mean(r.em for r in answerable), len(answerable)),
        "has_ans_f1": _metric(metrics.mean(r.f1 for r in answerable), len(answerable)),
    }
    with_gold = [r for r in answerable if r.gold_lines]
    if k is not None:
        out["recall_at_1"] = _metric(
            metrics.mean(metrics.recall_at_k(r.gold_rank, 1) for r in with_gold), len(with_gold)
        )
        out[f"recall_at_{k}"] = _metric(
            metrics.mean(metrics.recall_at_k(r.gold_rank, k) for r in with_gold), len(with_gold)
        )
        out["mrr"] = _metric(metrics.mean(metrics.reciprocal_rank(r.gold_rank) for r in with_gold), len(with_gold))
        with_story = [r for r in answerable if r.gold_source]
        out[f"story_recall_at_{k}"] = _metric(
            metrics.mean(metrics.recall_at_k(r.story_rank, k) for r in with_story), len(with_story)
        )
    cited = [r for r in rows if r.citation_correct is not None]
    out["citation_accuracy"] = _metric(metrics.mean(float(bool(r.citation_correct)) for r in cited), len(cited))
    abst = metrics.abstention_scores([r.abstained for r in rows], [r.answerable for r in rows])
    declined = sum(r.abstained for r in rows)
    out["abstain_precision"] = _metric(abst["precision"], declined)
    out["abstain_recall"] = _metric(abst["recall"], len(unanswerable))
    out["false_abstention_rate"] = _metric(metrics.mean(float(r.abstained) for r in answerable), len(answerable))
    out["followup_em"] = _metric(metrics.mean(r.em for r in followups), len(followups))
    out["followup_f1"] = _metric(metrics.mean(r.f1 for r in followups), len(followups))
    bins = calibration(rows)
    out["ece"] = _metric(metrics.expected_calibration_error(bins), sum(int(b["count"]) for b in bins))
    calibrated = calibration(rows, calibrated=True)
    if calibrated:
        out["ece_calibrated"] = _metric(
            metrics.expected_calibration_error(calibrated), sum(int(b["count"]) for b in calibrated)
        )
    for stage in STAGES:
        times = [r.timings[stage] * 1000 for r in rows if stage in r.timings and r.error is None]
        for q in (50, 95):
            out[f"latency_{stage}_p{q}_ms"] = _metric(metrics.percentile(times, q), len(times))
    out["errors"] = _metric(float(sum(r.error is not None for r in rows)), len(rows))
    return out


def calibration(rows: Sequence[Row], bins: int = 10, calibrated: bool = False) -> list[dict[str, float]]:
    """Reliability bins of the best span's score (or, `calibrated`, of its calibrated
    confidence, where the rows carry one) against whether that span is right."""
    usable = [r for r in rows if r.error is None and r.best_text]
    if calibrated:
        usable = [r for r in usable if r.confidence is not None]
        return metrics.calibration_bins([r.confidence or 0.0 for r in usable], [r.best_correct for r in usable], bins)
    return metrics.calibration_bins([r.score for r in usable], [r.best_correct for r in usable], bins)


def worst_misses(rows: Sequence[Row], limit: int = 10) -> list[Row]:
    """Wrong answers, most damaging first: lowest F1, then the most confident."""
    wrong = [r for r in rows if r.em < 1.0]
    return sorted(wrong, key=lambda r: (r.f1, -r.score, r.id))[:limit]


# Display labels, in table order; metrics not listed here follow in their own order.
LABELS = {
    "em": "EM",
    "f1": "F1",
    "has_ans_em": "EM (answerable)",
    "has_ans_f1": "F1 (answerable)",
    "recall_at_1": "retrieval recall@1",
    "mrr": "retrieval MRR",
    "story_recall_at_5": "gold article in top 5",
    "citation_accuracy": "citation accuracy",
    "abstain_precision": "abstention precision",
    "abstain_recall": "abstention recall",
    "false_abstention_rate": "false abstention rate",
    "followup_em": "follow-up EM",
    "followup_f1": "follow-up F1",
    "ece": "calibration error (ECE), reader score",
    "ece_calibrated": "calibration error (ECE), calibrated confidence",
    "errors": "errors",
}


def label(name: str) -> str:
    """How a metric is named in tables and charts."""
    if name in LABELS:
        return LABELS[name]
    if name.startswith("recall_at_"):
        return f"retrieval recall@{name.removeprefix('recall_at_')}"
    if name.startswith("latency_"):
        stage, pct = name.removeprefix("latency_").removesuffix("_ms").rsplit("_", 1)
        return f"latency {stage} {pct} (ms)"
    return name


def format_value(name: str, value: float | None) -> str:
    """A metric value as tables show it: latencies in ms to 0.1, counts whole, rates to 3 places."""
    if value is None:
        return "-"
    if name.startswith("latency_"):
        return f"{value:.1f}"
    if name == "errors":
        return f"{value:.0f}"
    return f"{value:.3f}"
