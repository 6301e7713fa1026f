"""Unanswerable questions made by turning one word of an answerable question into its opposite.

About a fifth of SQuAD v2.0's unanswerable questions are antonym edits of an answerable
one (Rajpurkar et al. 2018): "What was the largest city …" over a paragraph that only
names the largest. Entity swaps (`entity_swap.py`) cover names and numbers; this covers
the comparatives, superlatives, directions and verbs the reader must also check.

A word is swapped only when the paragraph contains it and never contains its opposite,
so the passage that answered the question cannot answer the edited one. The pairs are a
fixed list, not a thesaurus: every one is an opposite in every sense a news or
encyclopedia question uses it in, which keeps the labels clean.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace

from qa.squad import QAExample
from qa.train.entity_swap import words_of

ANTONYM_ID_SUFFIX = "/antonym"
_PAIRS = (
    ("first", "last"), ("biggest", "smallest"), ("largest", "smallest"), ("larger", "smaller"),
    ("most", "least"), ("highest", "lowest"), ("higher", "lower"), ("earliest", "latest"),
    ("earlier", "later"), ("before", "after"), ("oldest", "youngest"), ("older", "younger"),
    ("longest", "shortest"), ("longer", "shorter"), ("best", "worst"), ("better", "worse"),
    ("strongest", "weakest"), ("maximum", "minimum"), ("north", "south"), ("northern", "southern"),
    ("east", "west"), ("eastern", "western"), ("increase", "decrease"), ("increased", "decreased"),
    ("gain", "loss"), ("won", "lost"), ("win", "lose"), ("bought", "sold"), ("buy", "sell"),
    ("import", "export"), ("imports", "exports"), ("accepted", "rejected"), ("allowed", "banned"),
    ("public", "private"), ("upper", "lower"), ("inside", "outside"), ("above", "below"),
    ("positive", "negative"), ("male", "female"), ("ancient", "modern"), ("success", "failure"),
    ("began", "ended"), ("opened", "closed"), ("richest", "poorest"), ("cheapest", "most expensive"),
)  # fmt: skip
# Words with a common second sense that the opposite would garble ("How long did it last?",
# "to lower", "at least"): they are swapped to, never from.
_NOT_FROM = frozenset({"last", "lower", "least", "most expensive"})
OPPOSITE: dict[str, str] = {a: b for x, y in _PAIRS for a, b in ((x, y), (y, x)) if a not in _NOT_FROM}
_WORD = re.compile(r"[A-Za-z]+")


def antonym_swap_negatives(examples: list[QAExample], fraction: float, seed: int) -> list[QAExample]:
    """Unanswerable copies of about `fraction` of the answerable `examples` that have a
    swappable word (same paragraph, one word turned into its opposite); deterministic
    for a given `seed`."""
    rng = random.Random(f"antonym-swap/{seed}")
    negatives = []
    for example in examples:
        if example.is_impossible or not example.answers:
            continue
        context_words = words_of(example.context)
        swappable = [
            (m, opposite)
            for m in _WORD.finditer(example.question)
            if (opposite := OPPOSITE.get(m.group().lower()))
            and (m.start() == 0 or m.group().islower())  # "Kanye West" is a name, not a direction
            and m.group().lower() in context_words
            and not words_of(opposite) & context_words
        ]
        if not swappable or rng.random() >= fraction:
            continue
        word, opposite = swappable[rng.randrange(len(swappable))]
        if word.group()[0].isupper():
            opposite = opposite[0].upper() + opposite[1:]
        question = example.question[: word.start()] + opposite + example.question[word.end() :]
        negatives.append(
            replace(example, id=f"{example.id}{ANTONYM_ID_SUFFIX}", question=question, answers=(), is_impossible=True)
        )
    return negatives
