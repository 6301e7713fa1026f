"""Reranking: a fast reader scores a wider pool of retrieved passages, the main reader reads
the top k of them (`qa.rerank`, `Settings.rerank_pool`)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from qa.config import MAX_RERANK_POOL, Settings, SettingsError
from qa.rerank import rerank
from qa.types import Chunk, Hit, Piece


def _hit(i: int, text: str) -> Hit:
    chunk = Chunk(
        source=f"{i}.txt", title="", date=None, text=text, pieces=(Piece(0, len(text), 1, 0),), quotes={1: text}
    )
    return Hit(chunk, 1.0 / (i + 1), i)


@dataclass(frozen=True)
class _Span:
    passage: int
    score: float


class _Scorer:
    """Scores a passage by a number written in it ("p0.7"); records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, list[str], list[str] | None]] = []

    def read(self, question, passages, top_n=5, contexts=None, per_passage=False):
        self.asked.append((question, passages, contexts))
        return [_Span(i, float(p.split("p")[1])) for i, p in enumerate(passages) if "p" in p]


def test_the_k_passages_the_scorer_rates_best_come_first():
    hits = [_hit(i, text) for i, text in enumerate(["p0.2", "p0.9", "none", "p0.5", "p0.9"])]
    scorer = _Scorer()
    top = rerank("q?", hits, 3, scorer, contexts=["h"] * 5)
    assert [h.chunk_id for h in top] == [1, 4, 3]  # a tie keeps retrieval's order
    assert scorer.asked == [("q?", ["p0.2", "p0.9", "none", "p0.5", "p0.9"], ["h"] * 5)]


def test_a_scorer_that_finds_nothing_keeps_retrieval_order():
    hits = [_hit(i, "nothing here") for i in range(4)]
    assert [h.chunk_id for h in rerank("q?", hits, 2, _Scorer())] == [0, 1]


def test_one_passage_or_none_needs_no_scoring():
    scorer = _Scorer()
    assert rerank("q?", [], 5, scorer) == []
    one = [_hit(0, "p0.1")]
    assert rerank("q?", one, 5, scorer) == one
    assert scorer.asked == []


@pytest.mark.parametrize("bad", [-1, MAX_RERANK_POOL + 1, 2.5, "10"])
def test_a_rerank_pool_out_of_range_is_refused(bad):
    with pytest.raises(SettingsError, match="rerank_pool"):
        Settings(rerank_pool=bad)


def test_rerank_pool_and_reranker_round_trip_through_json():
    settings = Settings(rerank_pool=20, reranker_path="fast")
    again = Settings.from_dict(settings.to_dict())
    assert again.rerank_pool == 20 and again.reranker_path == settings.reranker_path


def test_the_main_reader_reads_the_rerankers_top_k_of_the_pool(seed_index, reader_dir):
    """With a pool of 8 and top_k 2, the main reader reads the 2 passages the reranker
    scored best (retrieval's 8th and 1st here), not retrieval's top 2."""
    from qa.assistant import Assistant

    settings = seed_index.settings.with_overrides(reader_path=reader_dir, top_k=2, rerank_pool=8, answer_cache=0)
    bot = Assistant(seed_index, settings)

    class PrefersTheLast(_Scorer):
        def read(self, question, passages, top_n=5, contexts=None, per_passage=False):
            self.asked.append((question, passages, contexts))
            last = len(passages) - 1
            return [_Span(i, 0.9 if i == last else 0.1 / (1 + i)) for i in range(len(passages))]

    scorer = PrefersTheLast()
    bot.reranker = scorer
    result = bot.answer("What did the assembly decide?")
    assert len(scorer.asked) == 1
    pool = scorer.asked[0][1]
    assert len(pool) == 8
    assert [h.chunk.text for h in result.passages][:2] == [pool[-1], pool[0]]


def test_reranking_with_the_fast_reader_still_answers_and_cites_the_vote(seed_index, reader_dir):
    from qa.assistant import Assistant

    settings = seed_index.settings.with_overrides(reader_path=reader_dir, top_k=2, rerank_pool=10, answer_cache=0)
    bot = Assistant(seed_index, settings)
    assert bot.reranker is not None and bot.reranker is not bot.reader
    result = bot.answer("What was the UNGA vote?")
    assert "141 to 5" in result.text
    assert result.citations[0].line == 4 and len(result.passages) <= 3  # top_k, and a newer passage at most
