"""End to end at news-corpus scale: the seed article among 2,225 BBC articles."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SEED_FILE = "000_40ab86d132b0175c.txt"
BBC = ROOT.parent / "shared" / "data" / "bbc-news" / "bbc.jsonl"


@pytest.mark.slow
@pytest.mark.skipif(not BBC.exists(), reason="../shared/data/bbc-news is not available")
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
    assert "Takenaka" in bbc_hit.text
    # business/295 also names "economy minister Heizo Takenaka": every article stating it is cited
    cited = {c.source for c in bbc_hit.citations}
    assert "bbc.jsonl#business/006" in cited and all(s.startswith("bbc.jsonl#") for s in cited)
    assert all("Takenaka" in c.quote[c.start : c.end] for c in bbc_hit.citations)
