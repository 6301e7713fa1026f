"""Unanswerable copies of questions, as in SQuAD v2.0, so the reader learns to abstain.

A question is paired with another paragraph of the same story that does not mention its
answer, preferring the paragraph sharing the most words with the question so the
negative is plausible.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from qa.train.synthetic.questions import STOPWORDS, WH_WORDS


def add_negatives(
    contexts: Sequence[str],
    paragraphs: list[dict],
    positives: Sequence[tuple[int, dict]],
    rng: random.Random,
    ratio: float,
) -> int:
    """Add an unanswerable copy of about `ratio` of the `positives` ((context index, qa) of one
    story) to the best other paragraph of `paragraphs`; returns how many were added."""
    added = 0
    for index, qa in positives:
        if rng.random() >= ratio:
            continue
        answer = qa["answers"][0]["text"]
        pool = [j for j, c in enumerate(contexts) if j != index and not mentions(c, answer)]
        if not pool:
            continue
        q_words = _content_words(qa["question"])
        scores = [(len(q_words & _content_words(contexts[j])), rng.random(), j) for j in pool]
        best = max(scores)[2]
        paragraphs[best]["qas"].append(
            {
                "id": f"{qa['id']}-neg",
                "question": qa["question"],
                "answers": [],
                "plausible_answers": [],
                "is_impossible": True,
                "answer_type": qa["answer_type"],
                "style": qa["style"],
            }
        )
        added += 1
    return added


def mentions(context: str, answer: str) -> bool:
    """Whether `context` may hold the answer: the text itself, its figures, or a name's last word."""
    low = context.lower()
    if answer.lower() in low:
        return True
    for number in re.findall(r"\d+(?:[.,]\d+)*", answer):
        if re.search(rf"(?<![\d.,]){re.escape(number)}(?![\d]|[.,]\d)", context):
            return True
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'\-]+", answer) if w.lower() not in STOPWORDS]
    if words and (answer[:1].isupper() or any(w[:1].isupper() for w in words)):
        last = words[-1]
        if len(last) > 3 and re.search(rf"\b{re.escape(last)}\b", context, re.IGNORECASE):
            return True
    return False


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS and w not in WH_WORDS}
