"""Fitting the confidence calibration (`qa.calibrate`) on development rows.

`qa calibrate ROWS.json... --out READER_DIR` reads the rows `scripts/dev_eval.py --json`
(or `qa eval --sweep-json`) wrote, fits the logistic model on all of them and writes
``calibration.json`` beside the reader. It also prints the reliability of the raw score
and of the calibrated confidence, each development set scored by a fit on the others,
so the "after" figure is never the fit grading itself.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from qa.calibrate import Calibration, CalibrationError, features
from qa.evaluate import metrics


@dataclass(frozen=True)
class Sample:
    """One development question as the fit sees it: the reader's score for the best
    answer, the share of key terms its article lacks, whether it was right, its set."""

    score: float
    missing: float
    correct: bool
    group: str


def samples_from_rows(path: Path) -> list[Sample]:
    """The rows of one sweep JSON with an answer to judge (the best span, even when abstaining)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CalibrationError(f"could not read rows from {path}: {exc}") from exc
    rows = data.get("rows") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise CalibrationError(f"{path} holds no rows (write them with scripts/dev_eval.py --json)")
    out = []
    for row in rows:
        if row.get("error") or not row.get("best_text"):
            continue
        if "missing_share" not in row:
            raise CalibrationError(f"{path}: rows carry no missing_share (written before calibration existed)")
        group = str(row.get("id", "")).rsplit("-", 1)[0] or path.stem
        out.append(Sample(float(row["score"]), float(row["missing_share"]), bool(row["best_correct"]), group))
    return out


def _fit_weights(x: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    """Logistic regression by Newton's method with an L2 penalty (not on the bias).

    A few hundred rows and three weights need no library; the penalty keeps a feature
    that never varies in the data (no key term missing anywhere) at zero.
    """
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        grad = x.T @ (p - y) + penalty * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def ece(confidences: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float | None:
    """Expected calibration error over equal-width bins, as the eval report computes it."""
    return metrics.expected_calibration_error(metrics.calibration_bins(list(confidences), list(correct), bins))


def _fit_on(samples: Sequence[Sample], l2: float) -> Calibration:
    """Weights by logistic regression; the cap from the answers lacking a key term."""
    x = np.array([features(s.score, s.missing) for s in samples])
    y = np.array([float(s.correct) for s in samples])
    w = _fit_weights(x, y, l2)
    if w[2] > 0:
        # A key term the article never mentions can only lower the chance the answer is
        # right. Few dev rows lack one (3 of 171 for reader v8), so a positive weight is
        # noise: refit without the feature rather than reward a missing term.
        w = np.append(_fit_weights(x[:, :2], y, l2), 0.0)
    lacking = [s for s in samples if s.missing > 0]
    right = sum(s.correct for s in lacking)
    return Calibration(
        weights=(float(w[0]), float(w[1]), float(w[2])),
        missing_cap=(right + 1) / (len(lacking) + 2),
        missing_counts=(right, len(lacking)),
    )


def held_out_confidences(samples: Sequence[Sample], l2: float = 1.0) -> list[float]:
    """Each sample's confidence from a calibration fitted on the other groups (two folds
    by position when there is one group)."""
    groups = sorted({s.group for s in samples})
    folds = [[s.group == g for s in samples] for g in groups] if len(groups) > 1 else None
    if folds is None:
        folds = [[i % 2 == f for i in range(len(samples))] for f in range(2)]
    out = [0.0] * len(samples)
    for fold in folds:
        rest = [s for s, inside in zip(samples, fold) if not inside]
        calibration = _fit_on(rest if len({s.correct for s in rest}) == 2 else samples, l2)
        for i, inside in enumerate(fold):
            if inside:
                out[i] = calibration.confidence(samples[i].score, samples[i].missing)
    return out


def fit(samples: Sequence[Sample], l2: float = 1.0) -> Calibration:
    """The calibration fitted on every sample, carrying its held-out ECE before and after."""
    if len(samples) < 20:
        raise CalibrationError(f"{len(samples)} rows are too few to fit a calibration (at least 20)")
    if len({s.correct for s in samples}) < 2:
        raise CalibrationError("the rows are all right or all wrong: nothing to calibrate against")
    fitted = _fit_on(samples, l2)
    correct = [s.correct for s in samples]
    return replace(
        fitted,
        fitted_on=sorted({s.group for s in samples}),
        rows=len(samples),
        ece_before=ece([s.score for s in samples], correct),
        ece_after=ece(held_out_confidences(samples, l2), correct),
    )
