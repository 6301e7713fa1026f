"""Calibrated confidence: the chance an answer is right, not the reader's odds.

The reader's score (`qa.reader.Span.score`) is the odds of a span against "no answer"
inside one window. It ranks spans well, but read as a probability it overstates: over a
real corpus a passage about another match, year or company still holds a span of the
right type that the reader rates near 1 ("England" at 0.58 for "Who won the 2022 World
Cup?" from a 2004 rugby story). Two facts predict better whether the shown answer is
right than the score alone:

- the score, on the logit scale (Platt scaling);
- the share of the question's key terms (names, numbers, years: `qa.followup.names`)
  that the answer's article never mentions. A question about "2022" answered from an
  article that never says 2022 is answered from the wrong story, however sure the span.

`Calibration` is a logistic model over those two, fitted (`qa.evaluate.calibration`) on
the news development sets' rows (`scripts/dev_eval.py --json`, then `qa calibrate`) and
shipped as ``calibration.json`` beside the reader it was fitted for. Answers whose
article lacks a key term are few there (the questions were written about their
articles), so the logistic weight alone cannot say how rarely they are right; their
confidence is also capped at what the development sets observed for them (`missing_cap`:
right / all of them, smoothed by one right and one wrong). A reader without a
calibration shows its raw score. The threshold always applies to the raw score, so
abstention does not change when a calibration is refitted.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from qa.errors import NewsQAError
from qa.followup import names, new_names

CALIBRATION_FILE = "calibration.json"
# scores are clipped this far from 0 and 1 before the logit: bf16 and fp32 readers both
# produce exact 1.0s, and their order among themselves says nothing
_EPS = 1e-4
_FEATURES = ("logit_score", "missing_terms")


class CalibrationError(NewsQAError):
    """A calibration that cannot be used (unreadable, wrong features) or fitted (too few rows)."""


def missing_terms(question: str, article: str) -> tuple[list[str], float]:
    """The key terms of `question` (`qa.followup.names`) that `article` never mentions
    (matched at the start of a word, any case: "Russia" in "Russian"), and their share
    of all its key terms (0 when it names none)."""
    terms = names(question)
    missing = new_names(question, article)
    return missing, (len(missing) / len(terms) if terms else 0.0)


def _logit(score: float) -> float:
    p = min(max(float(score), _EPS), 1 - _EPS)
    return math.log(p / (1 - p))


def features(score: float, missing: float) -> list[float]:
    """The model's inputs for one answer: [1 (bias), logit(score), share of key terms missing]."""
    return [1.0, _logit(score), float(missing)]


@dataclass(frozen=True)
class Calibration:
    """P(answer right) = sigmoid(w . [1, logit(score), missing share]), at most
    `missing_cap` when a key term is missing.

    `fitted_on` and `rows` say what it was fitted on; `ece_before`/`ece_after` are the
    held-out figures the fit measured (`qa.evaluate.calibration.fit`: each development
    set scored by a fit on the others).
    """

    weights: tuple[float, float, float]
    missing_cap: float = 1.0
    missing_counts: tuple[int, int] = (0, 0)  # (right, all) development answers lacking a key term
    fitted_on: list[str] = field(default_factory=list)
    rows: int = 0
    ece_before: float | None = None
    ece_after: float | None = None

    def confidence(self, score: float, missing: float = 0.0) -> float:
        """The calibrated chance that an answer with this reader score is right."""
        z = float(np.dot(self.weights, features(score, missing)))
        p = 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0
        return min(p, self.missing_cap) if missing > 0 else p

    def to_dict(self) -> dict:
        data = asdict(self)
        return {"features": ["bias", *_FEATURES], **data, "weights": list(self.weights)}

    def save(self, path: Path) -> Path:
        """Write as JSON (atomically: temp + rename), `path` a file or the reader directory."""
        path = path / CALIBRATION_FILE if path.is_dir() else path
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> Calibration | None:
        """The calibration in `path` (a file, or a reader directory holding one); None if there is none."""
        path = path / CALIBRATION_FILE if path.is_dir() else path
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("features") != ["bias", *_FEATURES]:
                raise CalibrationError(f"{path}: features {data.get('features')} are not {['bias', *_FEATURES]}")
            weights = tuple(float(w) for w in data["weights"])
            if len(weights) != 3 or not all(math.isfinite(w) for w in weights):
                raise CalibrationError(f"{path}: weights must be three finite numbers")
            cap = float(data.get("missing_cap", 1.0))
            if not 0.0 <= cap <= 1.0:
                raise CalibrationError(f"{path}: missing_cap must be within 0..1")
            right, total = (int(n) for n in data.get("missing_counts", (0, 0)))
            return cls(
                weights=(weights[0], weights[1], weights[2]),
                missing_cap=cap,
                missing_counts=(right, total),
                fitted_on=list(data.get("fitted_on", [])),
                rows=int(data.get("rows", 0)),
                ece_before=data.get("ece_before"),
                ece_after=data.get("ece_after"),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CalibrationError(f"could not read the calibration in {path}: {exc}") from exc
