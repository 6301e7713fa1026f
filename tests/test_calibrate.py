"""Calibrated confidence (qa/calibrate.py) and its fit (qa/evaluate/calibration.py)."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from qa.calibrate import CALIBRATION_FILE, Calibration, CalibrationError, missing_terms
from qa.evaluate.calibration import Sample, ece, fit, samples_from_rows

from .conftest import SEED_FILE, SEEDS, SHARED


def test_missing_terms_names_what_the_article_never_says() -> None:
    article = "Johnson, who captained England to World Cup glory in 2003, will retire."
    missing, share = missing_terms("Who won the 2022 World Cup?", article)
    assert missing == ["2022"]
    assert share == pytest.approx(1 / 3)  # 2022, World, Cup
    assert missing_terms("Who won the 2003 World Cup?", article) == ([], 0.0)
    assert missing_terms("who won it?", article) == ([], 0.0)  # no key terms: nothing can be missing


def test_confidence_falls_with_missing_terms_and_rises_with_score() -> None:
    cal = Calibration(weights=(-0.5, 0.6, -3.0))
    assert cal.confidence(0.99) > cal.confidence(0.6) > cal.confidence(0.1)
    assert cal.confidence(0.99, missing=0.5) < cal.confidence(0.99, missing=0.0)
    assert 0.0 <= cal.confidence(0.0, missing=1.0) <= cal.confidence(1.0) <= 1.0


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    cal = Calibration(weights=(0.1, 0.2, -1.5), fitted_on=["bbc", "rtr"], rows=171, ece_before=0.3, ece_after=0.05)
    written = cal.save(tmp_path)
    assert written == tmp_path / CALIBRATION_FILE
    assert Calibration.load(tmp_path) == cal
    assert Calibration.load(tmp_path / "elsewhere") is None  # a reader without one: the raw score shows


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"features": ["bias", "logit_score"], "weights": [1, 2]}),
        json.dumps({"features": ["bias", "logit_score", "missing_terms"], "weights": [1, "x", 3]}),
        json.dumps({"features": ["bias", "logit_score", "missing_terms"], "weights": [1, float("nan"), 3]}),
    ],
)
def test_a_bad_calibration_file_is_a_clear_error(tmp_path: Path, content: str) -> None:
    (tmp_path / CALIBRATION_FILE).write_text(content, encoding="utf-8")
    with pytest.raises(CalibrationError):
        Calibration.load(tmp_path)


def _overconfident(n: int, seed: int) -> list[Sample]:
    """A reader that says 0.95 when it is right 60 % of the time, and whose answers from
    articles lacking a key term are always wrong."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        missing = 0.5 if i % 4 == 0 else 0.0
        score = rng.uniform(0.9, 1.0) if i % 2 else rng.uniform(0.2, 0.9)
        correct = missing == 0.0 and rng.random() < (0.6 if score > 0.9 else 0.3)
        out.append(Sample(score, missing, correct, group=f"set{i % 3}"))
    return out


def test_fit_lowers_held_out_calibration_error_on_an_overconfident_reader() -> None:
    samples = _overconfident(300, seed=1)
    cal = fit(samples)
    assert cal.rows == 300 and cal.fitted_on == ["set0", "set1", "set2"]
    assert cal.ece_before is not None and cal.ece_after is not None
    assert cal.ece_before > 0.3  # the raw score overstates by ~0.4
    assert cal.ece_after < cal.ece_before / 2
    assert cal.weights[2] < 0  # a missing key term lowers confidence
    fresh = _overconfident(300, seed=2)
    after = ece([cal.confidence(s.score, s.missing) for s in fresh], [s.correct for s in fresh])
    assert after is not None and after < 0.15


def test_a_missing_key_term_never_raises_the_confidence() -> None:
    """A handful of answers lacking a key term that happen to be right (as reader v8's dev
    rows had) must not teach the calibration to reward a missing term."""
    rng = random.Random(3)
    samples = []
    for i in range(200):
        score = rng.uniform(0.0, 1.0)
        missing = 0.5 if i % 40 == 0 else 0.0  # 5 such rows, all of them right and low-scored
        correct = missing > 0 or rng.random() < score
        samples.append(Sample(min(score, 0.3) if missing else score, missing, correct, group=f"set{i % 3}"))
    cal = fit(samples)
    assert cal.weights[2] == 0.0
    assert cal.confidence(0.2, 0.5) <= cal.confidence(0.2, 0.0)
    assert cal.weights[1] > 0  # the score still counts


def test_fit_refuses_too_few_or_one_sided_rows() -> None:
    with pytest.raises(CalibrationError, match="too few"):
        fit(_overconfident(10, seed=1))
    with pytest.raises(CalibrationError, match="all right or all wrong"):
        fit([Sample(0.9, 0.0, True, "a")] * 30)


def test_samples_from_rows_needs_the_missing_share(tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"rows": [{"id": "bbc-01", "best_text": "x", "score": 0.9, "best_correct": True}]}))
    with pytest.raises(CalibrationError, match="missing_share"):
        samples_from_rows(old)
    new = tmp_path / "new.json"
    row = {"id": "rtr-07", "best_text": "x", "score": 0.9, "best_correct": True, "missing_share": 0.5}
    new.write_text(json.dumps({"rows": [row, {**row, "best_text": ""}]}))
    assert samples_from_rows(new) == [Sample(0.9, 0.5, True, "rtr")]


def test_the_bundled_reader_ships_a_calibration() -> None:
    from qa.config import DEFAULT_READER_DIR

    cal = Calibration.load(DEFAULT_READER_DIR)
    assert cal is not None, "qa/reader_model/calibration.json is missing (fit it with `qa calibrate`)"
    assert cal.ece_after is not None and cal.ece_before is not None and cal.ece_after < cal.ece_before
    assert cal.weights[1] > 0  # a higher reader score still means a likelier answer


def test_an_answer_from_an_article_lacking_a_key_term_is_not_shown_as_sure(tmp_path: Path, reader_dir) -> None:
    """The issue's example: "Who won the 2022 World Cup?" over a 2004 rugby story."""
    bbc = SHARED / "data" / "bbc-news" / "bbc.jsonl"
    if not bbc.exists():
        pytest.skip("needs ../shared/data/bbc-news")
    from qa.assistant import Assistant

    story = next(line for line in bbc.read_text(encoding="utf-8").splitlines() if '"sport/367"' in line)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEEDS / SEED_FILE, corpus / SEED_FILE)
    (corpus / "bbc.jsonl").write_text(story + "\n", encoding="utf-8")
    bot = Assistant.from_corpus(corpus, tmp_path / "index", reader=reader_dir, bar=False)
    result = bot.answer("Who won the 2022 World Cup?", threshold=0.0)
    assert not result.abstained and result.citations[0].source == "bbc.jsonl#sport/367"
    assert result.missing_terms == ["2022"]
    assert bot.calibration is not None
    assert result.shown_confidence < 0.5 and result.unsure
    # never above what the same score gets with every key term present (lower where the fit
    # found a missing term costs; test_a_missing_key_term_never_raises_the_confidence)
    assert result.shown_confidence <= bot.calibration.confidence(result.score, 0.0)
    sure = bot.answer("Who captained England to World Cup glory in 2003?", threshold=0.0)
    assert sure.missing_terms == [] and "Johnson" in sure.text
    assert sure.shown_confidence > result.shown_confidence
