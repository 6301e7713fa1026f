"""Antonym-swap negatives: one word of an answerable question turned into its opposite."""

from __future__ import annotations

from qa.squad import QAExample
from qa.train.antonym_swap import ANTONYM_ID_SUFFIX, OPPOSITE, antonym_swap_negatives
from qa.train.validate import negative_kind

CITIES = "Lagos is the largest city in Nigeria; its population rose before the 1990s."
RANKING = "Abuja is the capital, and Kano is both the largest and the smallest by some measures."


def _qa(id_: str, question: str, context: str, answer: str) -> QAExample:
    return QAExample(id_, question, context, ((answer, context.index(answer)),), title="Nigeria")


def test_a_word_the_paragraph_uses_becomes_one_it_never_uses():
    original = _qa("squad_v1_train/1", "What is the largest city in Nigeria?", CITIES, "Lagos")
    [negative] = antonym_swap_negatives([original], fraction=1.0, seed=13)
    assert negative.question == "What is the smallest city in Nigeria?"
    assert negative.id == "squad_v1_train/1" + ANTONYM_ID_SUFFIX
    assert negative.is_impossible and negative.answers == () and negative.context == CITIES
    assert negative_kind(negative) == "antonym swap"


def test_no_swap_when_the_paragraph_mentions_the_opposite_or_not_the_word():
    both = _qa("squad_v1_train/2", "Which city is the largest by some measures?", RANKING, "Kano")
    absent = _qa("squad_v1_train/3", "What happened after the 1990s?", CITIES, "its population rose")
    assert antonym_swap_negatives([both, absent], fraction=1.0, seed=13) == []


def test_names_and_second_senses_are_left_alone():
    west = "Kanye West announced a solo album, his first, before the tour."
    name = _qa("reddit/4", "Who West announced a solo album?", west, "Kanye")
    assert antonym_swap_negatives([name], fraction=1.0, seed=13) == []
    assert "last" not in OPPOSITE and "least" not in OPPOSITE, "'How long did it last?' must not become 'first'"
    assert OPPOSITE["first"] == "last"


def test_capitalised_first_word_keeps_its_capital_and_runs_are_reproducible():
    original = _qa("squad_v1_train/5", "Before the 1990s, what rose?", CITIES, "its population")
    first = antonym_swap_negatives([original] * 3, fraction=0.5, seed=7)
    assert first == antonym_swap_negatives([original] * 3, fraction=0.5, seed=7)
    [negative] = antonym_swap_negatives([original], fraction=1.0, seed=7)
    assert negative.question == "After the 1990s, what rose?"
    assert antonym_swap_negatives([original], fraction=0.0, seed=7) == []
