"""End to end at news-corpus scale: the seed article among 2,225 BBC articles."""

from __future__ import annotations

import pytest

from tests.conftest import SEED_FILE, SEEDS, SHARED
from tests.conftest import KNOWN_READER_GAP

BBC = SHARED / "data" / "bbc-news" / "bbc.jsonl"


@pytest.mark.slow
@pytest.mark.skipif(not BBC.exists(), reason="../shared/data/bbc-news is not available")
@KNOWN_READER_GAP
def test_seed_questions_still_answered_among_bbc_articles(tmp_path, reader_dir, capsys):
    from qa.assistant import Assistant
    from qa.cli import main

    index_dir = tmp_path / "index"
    assert main(["index", str(SEEDS), str(BBC), "--index", str(index_dir)]) == 0
    summary = capsys.readouterr().out
    assert "2 files" in summary and "2231 articles" in summary

    bot = Assistant.from_corpus([SEEDS, BBC], index_dir, reader=reader_dir, bar=False)
    result = bot.answer("What was the UNGA vote?")
    assert not result.abstained and "141 to 5" in result.text
    assert (result.citations[0].source, result.citations[0].line) == (SEED_FILE, 4)
    bbc_hit = bot.answer("Who is Japan's economy minister?")
    assert "Takenaka" in bbc_hit.text and bbc_hit.citations[0].source == "bbc.jsonl#business/006"
