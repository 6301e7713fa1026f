"""Follow-ups stay with the previous answer's articles unless they name something new (#19).

Over the seed article plus a decoy that also talks about abstaining ("one voting to
abstain"), "How many abstained?" after "What was the UNGA vote?" must be searched for
in the seed article only; a follow-up naming something the seed article never mentions
is searched for everywhere.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa.followup import Turn, conversation, new_names, user_turns
from qa.reader import Span
from qa.retrieve import retrieve

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
SEED_FILE = "000_40ab86d132b0175c.txt"
DECOY = "decoy.txt"
DECOY_TEXT = """\
MEPs reject software patent law
Only two MEPs backed the draft law at the JURI meeting, with one voting to abstain.
The European Parliament's legal affairs committee met in Brussels on Tuesday.
"""
VOTE = "What was the UNGA vote?"


@pytest.fixture(scope="module")
def two_article_index(tmp_path_factory):
    from qa.config import Settings
    from qa.store import CorpusIndex

    corpus = tmp_path_factory.mktemp("scope-corpus")
    shutil.copy(SEEDS / SEED_FILE, corpus / SEED_FILE)
    (corpus / DECOY).write_text(DECOY_TEXT, encoding="utf-8")
    index, _ = CorpusIndex.open(tmp_path_factory.mktemp("scope-index"), [corpus], Settings(), bar=False)
    return index


@pytest.fixture(scope="module")
def settings(two_article_index, reader_dir):
    return two_article_index.settings.with_overrides(reader_path=reader_dir)


@pytest.fixture(scope="module")
def shipped_reader(settings):
    from qa.reader import Reader

    return Reader.from_settings(settings)


@pytest.fixture()
def assistant(two_article_index, settings, shipped_reader):
    """A fresh assistant (nothing remembered) sharing the module's index and reader."""
    from qa.assistant import Assistant

    return Assistant(two_article_index, settings, reader=shipped_reader)


# ------------------------------------------------------------------ the rule


def test_names_are_capitalised_words_past_the_first_and_words_with_digits_or_inner_capitals():
    seed = (SEEDS / SEED_FILE).read_text(encoding="utf-8")
    assert new_names("How many abstained?", seed) == []
    assert new_names("And Kharkiv?", seed) == []  # in the article
    assert new_names("What about Russian forces?", seed) == []
    assert new_names("What about the BBC?", seed) == ["BBC"]
    assert new_names("And what did McCain say?", seed) == ["McCain"]
    assert new_names("What about G7 countries?", seed) == ["G7"]
    assert new_names("Describe it", seed) == []  # a capitalised first word is grammar, not a name
    assert new_names("What about Zelensky's speech?", seed) == []  # "Zelenskyy" in the article


def test_history_entries_may_carry_the_previous_answers_sources():
    answer_dict = {"question": VOTE, "text": "141 to 5", "citations": [{"source": SEED_FILE, "line": 4}]}
    assert conversation([answer_dict]) == [Turn(VOTE, (SEED_FILE,))]
    chat = [
        {"role": "user", "content": VOTE},
        {"role": "assistant", "content": "141 to 5", "citations": [{"source": SEED_FILE}, {"source": SEED_FILE}]},
        {"role": "user", "content": "How many abstained?"},
    ]
    assert conversation(chat) == [Turn(VOTE, (SEED_FILE,)), Turn("How many abstained?")]
    assert conversation([VOTE, ("b", "y"), Turn("c", ())]) == [Turn(VOTE), Turn("b"), Turn("c", ())]
    assert conversation([{"question": "q", "citations": []}]) == [Turn("q", ())]  # abstained: no sources
    assert user_turns([answer_dict, "b"]) == [VOTE, "b"]


def test_retrieval_within_sources_is_the_global_ranking_with_the_rest_left_out(two_article_index):
    query = "What was the UNGA vote? How many abstained?"
    everywhere = retrieve(two_article_index, query, 50)
    within = retrieve(two_article_index, query, 50, sources=[SEED_FILE])
    assert {h.chunk.source for h in everywhere} == {SEED_FILE, DECOY}
    assert [h.chunk_id for h in within] == [h.chunk_id for h in everywhere if h.chunk.source == SEED_FILE]
    assert retrieve(two_article_index, query, 5, sources=[]) == []
    for mode in ("dense", "hybrid"):
        assert {h.chunk.source for h in retrieve(two_article_index, query, 5, mode, sources=[DECOY])} == {DECOY}


# ------------------------------------------------------- answers (real reader)


def test_follow_up_stays_with_the_article_the_history_cites(assistant):
    history = [{"question": VOTE, "citations": [{"source": SEED_FILE, "line": 4}]}]
    result = assistant.answer("How many abstained?", history=history)
    assert result.searched_in == [SEED_FILE]
    assert {h.chunk.source for h in result.passages} == {SEED_FILE}
    assert result.text == "34"
    assert (result.citations[0].source, result.citations[0].line) == (SEED_FILE, 4)
    assert "previous answer's source" in result.search_note and SEED_FILE in result.search_note
    assert result.to_dict()["searched_in"] == [SEED_FILE]


def test_plain_string_history_uses_the_previous_answers_sources(assistant, monkeypatch):
    first = assistant.answer(VOTE)
    assert first.citations[0].source == SEED_FILE
    calls = []
    read = assistant.reader.read
    monkeypatch.setattr(assistant.reader, "read", lambda *a, **kw: calls.append(1) or read(*a, **kw))
    result = assistant.answer("How many abstained?", history=[VOTE])
    assert len(calls) == 1  # remembered from the answer above, not re-answered
    assert result.searched_in == [SEED_FILE] and result.text == "34"


def test_plain_string_history_from_a_fresh_assistant_re_answers_the_previous_question(assistant):
    result = assistant.answer("How many abstained?", history=[VOTE])  # e.g. `qa ask --history`
    assert result.searched_in == [SEED_FILE]
    assert result.text == "34"


def test_follow_up_naming_something_new_searches_the_whole_corpus(assistant):
    history = [{"question": VOTE, "citations": [{"source": SEED_FILE}]}]
    result = assistant.answer("And how many MEPs backed it?", history=history)
    assert result.searched_in == []
    assert "“MEPs”" in result.search_note and "all articles" in result.search_note
    assert DECOY in {h.chunk.source for h in result.passages}


def test_standalone_question_and_abstained_previous_answer_search_everywhere(assistant):
    standalone = assistant.answer("How many MEPs backed the draft law at the JURI meeting?", history=[VOTE])
    assert standalone.searched_in == [] and standalone.search_note == ""
    after_nothing = assistant.answer("How many abstained?", history=[{"question": "x", "citations": []}])
    assert after_nothing.searched_in == [] and DECOY in {h.chunk.source for h in after_nothing.passages}


class _OnlyDecoyAnswers:
    """A reader that finds an answer only in the decoy article."""

    def read(self, question, passages, top_n=1, contexts=None, per_passage=False):
        spans = []
        for number, text in enumerate(passages):
            at = text.find("one voting")
            if at >= 0:
                spans.append(Span(number, at, at + 10, "one voting", 0.99, 0.01))  # above any bundled threshold
        return spans


def test_follow_up_falls_back_to_all_articles_when_nothing_in_the_previous_ones_answers(two_article_index):
    from qa.assistant import Assistant

    bot = Assistant(two_article_index, two_article_index.settings, reader=_OnlyDecoyAnswers())  # type: ignore[arg-type]
    result = bot.answer("How many abstained?", history=[{"question": VOTE, "citations": [{"source": SEED_FILE}]}])
    assert result.searched_in == []
    assert "nothing in the previous answer's source" in result.search_note
    assert result.text == "one voting" and result.citations[0].source == DECOY
