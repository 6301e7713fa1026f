"""A follow-up keeps the conversation in a real corpus (#19): the seed article plus a
few hundred BBC stories, one of which (tech/030) has "one voting to abstain".

Before follow-ups stayed with the previous answer's article, "How many abstained?" after
"What was the UNGA vote?" answered "one voting" from that BBC story.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BBC = ROOT.parent / "shared" / "data" / "bbc-news" / "bbc.jsonl"
SEED_FILE = "000_40ab86d132b0175c.txt"
VOTE = "What was the UNGA vote?"

pytestmark = [
    pytest.mark.slow,  # indexing ~200 articles takes a minute or two on a CPU
    pytest.mark.skipif(not BBC.is_file(), reason=f"{BBC} is absent (../shared not mounted)"),
]


@pytest.fixture(scope="module")
def bbc_assistant(tmp_path_factory, reader_dir):
    from qa.assistant import Assistant
    from qa.config import Settings

    corpus = tmp_path_factory.mktemp("seeds-bbc")
    shutil.copy(ROOT / "seeds" / SEED_FILE, corpus / SEED_FILE)
    with BBC.open(encoding="utf-8") as source, (corpus / "bbc_sample.jsonl").open("w", encoding="utf-8") as sample:
        for number, line in enumerate(source):
            record = json.loads(line)
            if number % 10 == 0 or "abstain" in record["text"]:  # every tenth story + the decoy
                sample.write(json.dumps(record) + "\n")
    settings = Settings().with_overrides(reader_path=reader_dir)
    return Assistant.from_corpus(corpus, tmp_path_factory.mktemp("seeds-bbc-index"), settings=settings, bar=False)


def _check_34(result) -> None:
    assert result.text == "34", (result.text, [str(c) for c in result.citations], result.search_note)
    assert (result.citations[0].source, result.citations[0].line) == (SEED_FILE, 4)
    assert result.searched_in == [SEED_FILE]


def test_how_many_abstained_stays_with_the_unga_article(bbc_assistant):
    decoy = [c for c in bbc_assistant.index.chunks if "one voting to abstain" in c.text]
    assert decoy, "the BBC sample lost the story this test is about"
    first = bbc_assistant.answer(VOTE)
    assert first.citations and first.citations[0].source == SEED_FILE
    _check_34(bbc_assistant.answer("How many abstained?", history=[VOTE]))  # the chat: remembered


def test_how_many_abstained_from_history_alone(bbc_assistant):
    from qa.assistant import Assistant

    fresh = Assistant(bbc_assistant.index, bbc_assistant.settings, reader=bbc_assistant.reader)
    _check_34(fresh.answer("How many abstained?", history=[VOTE]))  # `qa ask --history`: re-answered
    cited = [{"question": VOTE, "citations": [{"source": SEED_FILE, "line": 4}]}]
    _check_34(fresh.answer("How many abstained?", history=cited))  # the API with earlier answers
