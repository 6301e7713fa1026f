"""Scoring functions for `qa eval`: pure, deterministic, and checked by hand in tests.

EM and F1 follow the official SQuAD v1.1/v2.0 evaluation script exactly (lower-case,
strip ASCII punctuation, drop the articles a/an/the, collapse whitespace; score against
every reference and keep the best), so our reader numbers are comparable with papers.
An unanswerable question has the single reference "" (as in SQuAD v2.0): abstaining
scores 1, any answer scores 0.
"""

from __future__ import annotations

import collections
import math
import re
import string
from collections.abc import Iterable, Sequence

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = frozenset(string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD normalization: lower-case, no ASCII punctuation, no articles, single spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def _tokens(text: str) -> list[str]:
    return normalize_answer(text).split() if text else []


def exact_match(prediction: str, reference: str) -> float:
    """1.0 when the normalized strings are identical, else 0.0."""
    return float(normalize_answer(prediction) == normalize_answer(reference))


def token_f1(prediction: str, reference: str) -> float:
    """Bag-of-tokens F1 after normalization; if either side is empty, 1.0 only if both are."""
    pred, gold = _tokens(prediction), _tokens(reference)
    if not pred or not gold:
        return float(pred == gold)
    common = collections.Counter(pred) & collections.Counter(gold)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(gold)
    return 2 * precision * recall / (precision + recall)


def references_or_empty(references: Sequence[str]) -> list[str]:
    """The references to score against: [""] for an unanswerable question (SQuAD v2.0)."""
    refs = [r for r in references if normalize_answer(r)]
    return refs or [""]


def best_em(prediction: str, references: Sequence[str]) -> float:
    """Max EM over all references (an empty list means "unanswerable")."""
    return max(exact_match(prediction, r) for r in references_or_empty(references))


def best_f1(prediction: str, references: Sequence[str]) -> float:
    """Max F1 over all references (an empty list means "unanswerable")."""
    return max(token_f1(prediction, r) for r in references_or_empty(references))


# ------------------------------------------------------------------- retrieval


def first_gold_rank(retrieved: Sequence[Iterable[int]], gold_lines: Iterable[int]) -> int | None:
    """1-based rank of the first retrieved chunk holding a gold line, or None.

    `retrieved` lists, best first, the line numbers of each retrieved chunk that belongs
    to the gold source (chunks from other sources should be passed as empty).
    """
    gold = set(gold_lines)
    for rank, lines in enumerate(retrieved, start=1):
        if gold.intersection(lines):
            return rank
    return None


def recall_at_k(rank: int | None, k: int) -> float:
    """1.0 if a gold chunk was retrieved within the top k."""
    return float(rank is not None and rank <= k)


def reciprocal_rank(rank: int | None) -> float:
    """1/rank of the first gold chunk (0.0 if none was retrieved)."""
    return 0.0 if rank is None else 1.0 / rank


def citation_hits_gold(cited: tuple[int, int] | None, gold_lines: Iterable[int]) -> bool:
    """Whether a citation spanning lines `cited` = (first, last) includes a gold line."""
    if cited is None:
        return False
    first, last = cited
    return any(first <= line <= last for line in gold_lines)


# ------------------------------------------------------------------ abstention


def abstention_scores(abstained: Sequence[bool], answerable: Sequence[bool]) -> dict[str, float | None]:
    """Precision and recall of abstaining, treating "unanswerable" as the positive class.

    precision: of the questions the system declined, the share that truly had no answer;
    recall: of the unanswerable questions, the share it declined. None when undefined
    (nothing declined / no unanswerable questions), never a flattering 0 or 1.
    """
    if len(abstained) != len(answerable):
        raise ValueError("abstained and answerable must have the same length")
    declined = sum(abstained)
    unanswerable = sum(not a for a in answerable)
    correct = sum(d and not a for d, a in zip(abstained, answerable))
    precision = correct / declined if declined else None
    recall = correct / unanswerable if unanswerable else None
    if precision is None or recall is None or precision + recall == 0:
        f1 = None if precision is None or recall is None else 0.0
    else:
        f1 = 2 * precision * recall / (precision + recall)
    return {"precision": precision, "recall": recall, "f1": f1}


def threshold_keeping(answerable_scores: Sequence[float], keep: float, step: float | None = None) -> float | None:
    """The highest abstention threshold that still answers `keep` of the answerable questions.

    A question is answered when its score >= threshold; give a question that got no span at
    all the score -inf, so it counts as lost at every threshold. `step` rounds the threshold
    down to a grid (0.01 gives a value worth writing into a config). None when no threshold
    keeps that many.
    """
    if not answerable_scores or not 0 < keep <= 1:
        return None
    ranked = sorted(answerable_scores, reverse=True)
    threshold = ranked[math.ceil(keep * len(ranked) - 1e-9) - 1]
    if threshold == -math.inf:
        return None
    return math.floor(threshold / step + 1e-9) * step if step else threshold


def abstention_curve(
    answerable_scores: Sequence[float], unanswerable_scores: Sequence[float], thresholds: Iterable[float]
) -> list[tuple[float, float | None, float | None]]:
    """(threshold, share of answerable questions kept, share of unanswerable ones abstained on)."""
    curve = []
    for t in thresholds:
        kept = sum(s >= t for s in answerable_scores) / len(answerable_scores) if answerable_scores else None
        abstained = sum(s < t for s in unanswerable_scores) / len(unanswerable_scores) if unanswerable_scores else None
        curve.append((t, kept, abstained))
    return curve


# ---------------------------------------------------------------- aggregation


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the non-None values; None when there are none (a metric that does not apply)."""
    kept = [float(v) for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation (numpy's default method)."""
    data = sorted(float(v) for v in values)
    if not data:
        return None
    if not 0 <= q <= 100:
        raise ValueError("q must be within 0..100")
    pos = (len(data) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def calibration_bins(scores: Sequence[float], correct: Sequence[bool], bins: int = 10) -> list[dict[str, float]]:
    """Equal-width confidence bins: mean score vs. observed accuracy in each non-empty bin.

    A well-calibrated reader has accuracy close to its mean score in every bin; this is
    what the calibration chart plots and what `expected_calibration_error` summarizes.
    """
    if len(scores) != len(correct):
        raise ValueError("scores and correct must have the same length")
    groups: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for s, c in zip(scores, correct):
        s = min(max(float(s), 0.0), 1.0)
        groups[min(int(s * bins), bins - 1)].append((s, bool(c)))
    out = []
    for i, group in enumerate(groups):
        if group:
            out.append(
                {
                    "low": i / bins,
                    "high": (i + 1) / bins,
                    "count": len(group),
                    "mean_score": sum(s for s, _ in group) / len(group),
                    "accuracy": sum(c for _, c in group) / len(group),
                }
            )
    return out


def expected_calibration_error(bins: Sequence[dict[str, float]]) -> float | None:
    """Count-weighted mean |accuracy - mean score| over the bins (0 = perfectly calibrated)."""
    total = sum(b["count"] for b in bins)
    if not total:
        return None
    return sum(b["count"] * abs(b["accuracy"] - b["mean_score"]) for b in bins) / total
