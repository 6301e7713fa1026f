"""Hand-worked checks of the evaluator's metrics (qa.evaluate.metrics).

Every expected value here was computed by hand from the SQuAD evaluation rules, not
by running the code, so a change in behaviour shows up as a failing number.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa.evaluate import metrics as m

# ------------------------------------------------------------- normalization


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("The Eiffel Tower", "eiffel tower"),  # article dropped, lower-cased
        ("  141   to 5, with 34 abstentions. ", "141 to 5 with 34 abstentions"),
        ("an apple a day", "apple day"),
        ("theatre", "theatre"),  # 'the' only as a whole word
        ("2,870", "2870"),  # ASCII punctuation removed inside tokens
        ("193-member", "193member"),
        ("“proof”", "“proof”"),  # official script strips ASCII punctuation only
        ("", ""),
    ],
)
def test_normalize_answer_follows_squad(raw: str, expected: str) -> None:
    assert m.normalize_answer(raw) == expected


# ------------------------------------------------------------------ EM and F1


def test_exact_match_ignores_case_articles_and_punctuation() -> None:
    assert m.exact_match("the Russian army.", "Russian Army") == 1.0
    assert m.exact_match("Russian army corps", "Russian army") == 0.0


def test_f1_hand_worked_partial_overlap() -> None:
    # pred tokens: [capital, kyiv, and, kharkiv] (4); gold: [kyiv, and, kharkiv] (3)
    # common 3 -> precision 3/4, recall 3/3 -> F1 = 2*.75*1/(1.75) = 6/7
    assert m.token_f1("capital Kyiv and Kharkiv", "Kyiv and Kharkiv") == pytest.approx(6 / 7)


def test_f1_counts_repeated_tokens_once_per_occurrence() -> None:
    # pred [five, five, killed] vs gold [five, killed]: common = 1 five + 1 killed = 2
    # precision 2/3, recall 2/2 -> F1 = 0.8
    assert m.token_f1("five five killed", "five killed") == pytest.approx(0.8)


def test_f1_no_overlap_is_zero() -> None:
    assert m.token_f1("Gomel", "Hunter House") == 0.0


def test_best_scores_take_max_over_references() -> None:
    refs = ["141 to 5", "141 to 5, with 34 abstentions"]
    assert m.best_em("141 to 5, with 34 abstentions", refs) == 1.0
    # pred [141, to, 5, with, 34] (5 tokens)
    #   vs ref 1 (3 tokens): common 3 -> P 3/5, R 1 -> F1 0.75
    #   vs ref 2 (6 tokens): common 5 -> P 1, R 5/6 -> F1 10/11 (the max)
    assert m.best_em("141 to 5 with 34", refs) == 0.0
    assert m.best_f1("141 to 5 with 34", refs) == pytest.approx(10 / 11)
    # pred [141]: vs ref 1 P 1, R 1/3 -> 0.5 (the max); vs ref 2 P 1, R 1/6 -> 2/7
    assert m.best_f1("141", refs) == pytest.approx(0.5)


def test_empty_prediction_on_answerable_question_scores_zero() -> None:
    assert m.best_em("", ["Kherson"]) == 0.0
    assert m.best_f1("", ["Kherson"]) == 0.0


def test_unanswerable_scoring_rewards_only_abstaining() -> None:
    # SQuAD v2.0: no references -> the single reference "", matched only by "".
    assert m.best_em("", []) == 1.0
    assert m.best_f1("", []) == 1.0
    assert m.best_em("Belarus", []) == 0.0
    assert m.best_f1("Belarus", []) == 0.0


def test_references_that_normalize_to_nothing_count_as_unanswerable() -> None:
    assert m.references_or_empty(["the", " . "]) == [""]
    assert m.best_em("", ["the"]) == 1.0


def test_prediction_of_only_punctuation_is_an_empty_answer() -> None:
    assert m.token_f1("...", "Kyiv") == 0.0
    assert m.token_f1("...", "") == 1.0


@given(st.text(max_size=30), st.lists(st.text(max_size=30), max_size=4))
def test_scores_are_bounded_and_em_implies_full_f1(pred: str, refs: list[str]) -> None:
    em, f1 = m.best_em(pred, refs), m.best_f1(pred, refs)
    assert 0.0 <= f1 <= 1.0 and em in (0.0, 1.0)
    if em == 1.0:
        assert f1 == 1.0


# ------------------------------------------------------------------ retrieval


def test_first_gold_rank_and_reciprocal_rank() -> None:
    retrieved = [[1, 2, 3], [], [4, 5], [6]]  # chunk 2 is from another source
    rank = m.first_gold_rank(retrieved, [5, 6])
    assert rank == 3
    assert m.reciprocal_rank(rank) == pytest.approx(1 / 3)
    assert m.recall_at_k(rank, 1) == 0.0
    assert m.recall_at_k(rank, 3) == 1.0


def test_missing_gold_chunk_scores_zero() -> None:
    rank = m.first_gold_rank([[1], [2]], [9])
    assert rank is None
    assert m.reciprocal_rank(rank) == 0.0
    assert m.recall_at_k(rank, 5) == 0.0


def test_citation_must_include_a_gold_line() -> None:
    assert m.citation_hits_gold((4, 4), [4])
    assert m.citation_hits_gold((3, 5), [4])  # a multi-line citation spanning the gold line
    assert not m.citation_hits_gold((5, 6), [4])
    assert not m.citation_hits_gold(None, [4])


# ----------------------------------------------------------------- abstention


def test_abstention_precision_recall_hand_worked() -> None:
    # 5 questions: answerable? T T F F F ; abstained? T F T T F
    # declined 3, of which unanswerable 2 -> precision 2/3; unanswerable 3 -> recall 2/3
    scores = m.abstention_scores([True, False, True, True, False], [True, True, False, False, False])
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["recall"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(2 / 3)


def test_abstention_undefined_cases_are_none_not_perfect() -> None:
    never = m.abstention_scores([False, False], [True, False])
    assert never["precision"] is None and never["recall"] == 0.0
    all_answerable = m.abstention_scores([True, False], [True, True])
    assert all_answerable["recall"] is None and all_answerable["precision"] == 0.0


# ---------------------------------------------------------------- aggregation


def test_mean_skips_none_and_is_none_when_empty() -> None:
    assert m.mean([1.0, None, 0.0]) == 0.5
    assert m.mean([None]) is None


def test_percentile_matches_linear_interpolation() -> None:
    values = [10, 20, 30, 40]
    assert m.percentile(values, 50) == pytest.approx(25.0)  # between 20 and 30
    assert m.percentile(values, 95) == pytest.approx(38.5)  # 30 + 0.85 * 10
    assert m.percentile([7], 95) == 7
    assert m.percentile([], 50) is None


def test_calibration_bins_and_ece_hand_worked() -> None:
    scores = [0.05, 0.15, 0.95, 0.91, 0.99]
    correct = [False, True, True, True, False]
    bins = m.calibration_bins(scores, correct, bins=10)
    assert [(b["low"], b["count"]) for b in bins] == [(0.0, 1), (0.1, 1), (0.9, 3)]
    top = bins[-1]
    assert top["mean_score"] == pytest.approx((0.95 + 0.91 + 0.99) / 3)
    assert top["accuracy"] == pytest.approx(2 / 3)
    # ECE = (1*|0-0.05| + 1*|1-0.15| + 3*|2/3-0.95|) / 5
    expected = (0.05 + 0.85 + 3 * abs(2 / 3 - 0.95)) / 5
    assert m.expected_calibration_error(bins) == pytest.approx(expected)


def test_score_of_exactly_one_lands_in_the_top_bin() -> None:
    bins = m.calibration_bins([1.0], [True], bins=4)
    assert bins[0]["low"] == 0.75 and math.isclose(bins[0]["accuracy"], 1.0)


def test_threshold_keeping_is_the_score_of_the_last_question_kept() -> None:
    scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05]
    assert m.threshold_keeping(scores, 0.9) == 0.1  # 9 of 10 kept at >= 0.1
    assert m.threshold_keeping(scores, 0.5) == 0.5
    assert m.threshold_keeping(scores, 1.0) == 0.05
    assert m.threshold_keeping([0.678, 0.9], 1.0, step=0.01) == pytest.approx(0.67)  # rounded down: still keeps both


def test_threshold_keeping_counts_questions_without_a_span_as_lost() -> None:
    inf = float("-inf")
    assert m.threshold_keeping([0.9, 0.8, inf, inf], 0.5) == 0.8
    assert m.threshold_keeping([0.9, inf, inf, inf], 0.5) is None
    assert m.threshold_keeping([], 0.9) is None


def test_abstention_curve_counts_kept_and_abstained_per_threshold() -> None:
    curve = m.abstention_curve([0.9, 0.6, 0.3], [0.7, 0.2], [0.0, 0.5, 0.8])
    assert curve[0] == (0.0, 1.0, 0.0)
    assert curve[1] == (0.5, pytest.approx(2 / 3), 0.5)
    assert curve[2] == (0.8, pytest.approx(1 / 3), 1.0)
    assert m.abstention_curve([], [0.1], [0.5]) == [(0.5, None, 1.0)]
