"""Rerank retrieved passages with a small reader before the main reader reads the top k.

Over a whole archive the passage that answers is often retrieved but not in the top 5:
near-duplicate stories (another quarter's earnings, another strike) share the question's
words, and BM25 and embedding similarity cannot tell the story that answers from its
neighbours. A reader can: its best span score says whether a passage holds an answer to
this question. The fast reader (v5, MiniLM) reads a wider pool of retrieved passages in a
fraction of the main reader's time, and the main reader reads only the ones it scores best.

This stage sits between retrieval and reading. It takes the scoring reader as an object
(`PassageScorer`), so it never imports the read stage; the assistant wires the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from qa.types import Hit


class ScoredSpan(Protocol):
    """What reranking needs of a reader's span: which passage, and how sure."""

    @property
    def passage(self) -> int: ...

    @property
    def score(self) -> float: ...


class PassageScorer(Protocol):
    """A reader (`qa.reader.Reader`): the best spans of each passage, scored 0-1."""

    def read(
        self,
        question: str,
        passages: list[str],
        top_n: int = 5,
        contexts: list[str] | None = None,
        per_passage: bool = False,
    ) -> Sequence[ScoredSpan]: ...


def rerank(
    question: str,
    hits: list[Hit],
    k: int,
    scorer: PassageScorer,
    contexts: list[str] | None = None,
) -> list[Hit]:
    """The `k` hits whose best span `scorer` scores highest, best first.

    A passage with no span scores 0; ties keep retrieval's order, so a scorer that sees
    nothing changes nothing. `contexts` (headlines) are read before each passage, as the
    main reader reads them.
    """
    if len(hits) <= 1:
        return hits[:k]
    spans = scorer.read(question, [h.chunk.text for h in hits], top_n=1, contexts=contexts, per_passage=True)
    best = [0.0] * len(hits)
    for span in spans:
        best[span.passage] = max(best[span.passage], span.score)
    order = sorted(range(len(hits)), key=lambda i: (-best[i], i))
    return [hits[i] for i in order[:k]]
