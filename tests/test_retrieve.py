"""Retrieval over the real seed index: each mode finds the passage that holds the answer."""

from __future__ import annotations

import pytest

from qa.config import Retrieval, SettingsError
from qa.retrieve import fuse, retrieve


def test_fuse_is_reciprocal_rank_fusion():
    fused = dict(fuse([[(1, 9.0), (2, 8.0)], [(2, 0.9), (3, 0.8)]]))
    assert fused[2] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[1] == pytest.approx(1 / 61)
    assert fused[3] == pytest.approx(1 / 62)
    assert max(fused, key=fused.get) == 2  # found by both rankings


@pytest.mark.parametrize("mode", list(Retrieval))
def test_each_mode_ranks_the_vote_passage_first(seed_index, mode):
    hits = retrieve(seed_index, "How many countries voted against the resolution in the General Assembly?", 3, mode)
    assert hits, mode
    assert any(p.line in (3, 4) for p in hits[0].chunk.pieces), (mode, hits[0].chunk.text[:80])


def test_headline_and_date_are_searchable(seed_index):
    hit = retrieve(seed_index, "Holocaust massacre site", 1, "bm25")[0]
    assert hit.chunk.title.startswith("‘Don’t you see?'")
    dated = retrieve(seed_index, "2022-03-02", 1, "bm25")
    assert dated and dated[0].chunk.date == "2022-03-02"


def test_k_limits_results_and_bad_mode_is_rejected(seed_index):
    assert len(retrieve(seed_index, "Russia Ukraine", 2)) == 2
    with pytest.raises(SettingsError, match="retrieval must be one of bm25, hybrid, dense"):
        retrieve(seed_index, "Russia", 2, "psychic")


def test_bm25_without_shared_terms_falls_back_to_dense(seed_index):
    hits = retrieve(seed_index, "boiling point of mercury", 3, "bm25")
    assert len(hits) == 3
