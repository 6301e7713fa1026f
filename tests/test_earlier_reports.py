"""Newer news wins ties (#19): when dated articles disagree, the newest one answers and
the others are shown beside it as "earlier reports", each cited."""

from __future__ import annotations

import json

import pytest

from qa.reader import Span
from qa.types import Answer, Citation, EarlierReport
from qa.ui import render

QUESTION = "Who is the President of Ukraine?"
OLD = "2005_ukraine.txt"
NEW = "2022_ukraine.txt"
ARTICLES = {
    OLD: " date 2005-01-23 Yushchenko sworn in as Ukraine leader\n"
    "- Ukraine has a new president after a rerun of the election.\n"
    "Viktor Yushchenko is the President of Ukraine.\n"
    "He was sworn in on Sunday in Kyiv before a large crowd.\n",
    NEW: " date 2022-03-01 Zelensky addresses the European Parliament\n"
    "- The Ukrainian leader spoke by video link.\n"
    "Volodymyr Zelensky is the President of Ukraine.\n"
    "He asked the European Union to prove that it stands with Ukraine.\n",
}


@pytest.fixture(scope="module")
def dated_index(tmp_path_factory):
    from qa.config import Settings
    from qa.store import CorpusIndex

    corpus = tmp_path_factory.mktemp("dated-corpus")
    for name, text in ARTICLES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    (corpus / "undated.txt").write_text(
        "Kuchma hands over\nLeonid Kuchma is the President of Ukraine.\n", encoding="utf-8"
    )
    index, _ = CorpusIndex.open(tmp_path_factory.mktemp("dated-index"), [corpus], Settings(), bar=False)
    return index


class _Scripted:
    """A reader that gives each answer text a fixed score wherever the passage has it."""

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores

    def read(self, question, passages, top_n=1, contexts=None, per_passage=False):
        spans = []
        for number, text in enumerate(passages):
            for answer, score in self.scores.items():
                at = text.find(answer + " is the President")
                if at >= 0:
                    spans.append(Span(number, at, at + len(answer), answer, score, 0.001))
        return spans


def _ask(index, scores: dict[str, float]) -> Answer:
    from qa.assistant import Assistant

    return Assistant(index, index.settings, reader=_Scripted(scores)).answer(QUESTION)  # type: ignore[arg-type]


def test_newer_article_answers_with_the_older_shown_as_an_earlier_report(dated_index, reader_dir):
    from qa.assistant import Assistant

    bot = Assistant(dated_index, dated_index.settings.with_overrides(reader_path=reader_dir))
    result = bot.answer(QUESTION)
    assert result.text == "Volodymyr Zelensky"
    assert (result.citations[0].source, result.citations[0].line, result.citations[0].date) == (NEW, 3, "2022-03-01")
    reports = {r.citation.source: r for r in result.earlier_reports}
    assert reports[OLD].text == "Viktor Yushchenko"
    assert (reports[OLD].date, reports[OLD].citation.line) == ("2005-01-23", 3)
    assert reports[OLD].citation.quote == "Viktor Yushchenko is the President of Ukraine."
    data = json.loads(json.dumps(result.to_dict()))
    assert {r["citation"]["source"] for r in data["earlier_reports"]} == set(reports)
    assert data["earlier_reports"][0]["date"] == "2005-01-23"  # newest first; undated last


def test_the_newest_dated_answer_wins_even_when_an_older_one_scores_higher(dated_index):
    result = _ask(dated_index, {"Viktor Yushchenko": 1.0, "Volodymyr Zelensky": 0.95})
    assert result.text == "Volodymyr Zelensky" and result.score == pytest.approx(0.95)
    assert [(r.text, r.date) for r in result.earlier_reports] == [("Viktor Yushchenko", "2005-01-23")]


def test_a_much_weaker_newer_answer_does_not_displace_a_sure_one(dated_index):
    # more than REPORT_MARGIN below the best: the reader is not about as sure of it
    result = _ask(dated_index, {"Viktor Yushchenko": 1.0, "Volodymyr Zelensky": 0.6})
    assert result.text == "Viktor Yushchenko" and result.earlier_reports == []


def test_undated_articles_cannot_outrank_a_dated_one_and_are_shown_as_undated(dated_index):
    result = _ask(dated_index, {"Leonid Kuchma": 1.0, "Volodymyr Zelensky": 0.97})
    assert result.text == "Volodymyr Zelensky"
    assert [(r.text, r.date) for r in result.earlier_reports] == [("Leonid Kuchma", None)]


def test_one_answer_no_reports_and_abstention_shows_none(dated_index):
    assert _ask(dated_index, {"Volodymyr Zelensky": 0.99}).earlier_reports == []
    abstained = _ask(dated_index, {"Viktor Yushchenko": 0.05, "Volodymyr Zelensky": 0.04})
    assert abstained.abstained and abstained.earlier_reports == []


def _citation(source: str, date: str | None, quote: str, answer: str, line: int = 3) -> Citation:
    start = quote.index(answer)
    return Citation(source, line, line, quote, start, start + len(answer), title="Headline", date=date)


def test_chat_shows_earlier_reports_beneath_the_answer_each_cited():
    answer = Answer(
        question=QUESTION,
        text="Volodymyr Zelensky",
        score=0.99,
        abstained=False,
        citations=[
            _citation(NEW, "2022-03-01", "Volodymyr Zelensky is the President of Ukraine.", "Volodymyr Zelensky")
        ],
        earlier_reports=[
            EarlierReport(
                "Viktor Yushchenko",
                1.0,
                "2005-01-23",
                _citation(OLD, "2005-01-23", "Viktor Yushchenko is the President of Ukraine.", "Viktor Yushchenko"),
            ),
            EarlierReport(
                "Leonid Kuchma", 0.97, None, _citation("undated.txt", None, "Leonid Kuchma is it.", "Leonid Kuchma", 2)
            ),
        ],
    )
    reply = render.render_reply(answer)
    answer_at, heading_at = reply.index("**Volodymyr Zelensky**"), reply.index("**Earlier reports**")
    assert answer_at < heading_at
    earlier = reply[heading_at:]
    assert "**Viktor Yushchenko** · 2005-01-23 · confidence 100%" in earlier
    assert "> **Viktor Yushchenko** is the President of Ukraine. [2]" in earlier
    assert f"[2] *Headline* · 2005-01-23 · <small>`{OLD}:3`</small>" in earlier
    assert "**Leonid Kuchma** · undated · confidence 97%" in earlier
    assert "[3] *Headline* · <small>`undated.txt:2`</small>" in earlier
    plain = Answer(question=QUESTION, text="x", score=0.9, abstained=False, citations=answer.citations)
    assert "Earlier reports" not in render.render_reply(plain)


def test_follow_up_reply_says_where_it_searched():
    cited = _citation(NEW, "2022-03-01", "Volodymyr Zelensky is the President of Ukraine.", "Volodymyr Zelensky")
    answer = Answer(
        question="And in 2005?",
        text="x",
        score=0.9,
        abstained=False,
        citations=[cited],
        resolved_question=f"{QUESTION} And in 2005?",
        search_note="in the previous answer's source (a_b.txt)",
    )
    assert render.render_reply(answer).startswith(
        f"*Searched for: {QUESTION} And in 2005? · in the previous answer's source (a\\_b.txt)*\n\n"
    )


def _outranked_corpus(directory, old_count: int) -> None:
    """`old_count` undated stories that say "the President of Ukraine" in the question's
    words, and one dated one that names him in its own: BM25 ranks it last."""
    for n in range(old_count):
        (directory / f"old_{n}.txt").write_text(
            f"Ukraine report {n}\nWho is the President of Ukraine? Viktor Yushchenko is the President of Ukraine, "
            f"report {n} says of the President of Ukraine.\n",
            encoding="utf-8",
        )
    (directory / "new.txt").write_text(
        " date 2022-03-01 Kyiv under fire\nPresident Volodymyr Zelensky spoke to Ukraine from Kyiv.\n",
        encoding="utf-8",
    )


def test_retrieval_reads_the_newest_report_even_when_older_ones_outrank_it(tmp_path):
    from qa.config import Settings
    from qa.retrieve import retrieve
    from qa.store import CorpusIndex

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _outranked_corpus(corpus, 6)
    index, _ = CorpusIndex.open(tmp_path / "index", [corpus], Settings(), bar=False)
    plain = retrieve(index, QUESTION, 5)
    assert len(plain) == 5 and all(h.chunk.date is None for h in plain)
    with_newer = retrieve(index, QUESTION, 5, newer=20)
    assert with_newer[:5] == plain and len(with_newer) == 6
    assert (with_newer[5].chunk.source, with_newer[5].chunk.date) == ("new.txt", "2022-03-01")
    assert retrieve(index, QUESTION, 5, newer=20, sources=["old_1.txt"]) == retrieve(
        index, QUESTION, 5, sources=["old_1.txt"]
    )  # nothing newer within the sources searched: nothing added


def test_the_newer_dated_answer_wins_over_a_crowd_of_older_undated_ones(tmp_path, reader_dir):
    """The #19 case (seeds + BBC: "Who is the President of Ukraine?" answered from 2005):
    the newer article is read and answers; an older answer is shown as an earlier report."""
    from qa.assistant import Assistant

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _outranked_corpus(corpus, 6)
    bot = Assistant.from_corpus(corpus, tmp_path / "index", reader=reader_dir, bar=False)
    result = bot.answer(QUESTION)
    assert "Zelensky" in result.text and result.citations[0].source == "new.txt"
    assert result.earlier_reports and "Yushchenko" in result.earlier_reports[0].text
    assert result.earlier_reports[0].date is None  # undated: shown as such


class _Anywhere:
    """A reader that gives each answer text a fixed score wherever a passage contains it."""

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores

    def read(self, question, passages, top_n=1, contexts=None, per_passage=False):
        return [
            Span(number, text.find(answer), text.find(answer) + len(answer), answer, score, 0.001)
            for number, text in enumerate(passages)
            for answer, score in self.scores.items()
            if answer in text
        ]


def test_a_newer_story_about_something_else_does_not_displace_the_answer(tmp_path):
    """Over a whole archive, a dated story that never names what the question asks about
    (no "World Social Forum") must not win on recency over the undated one that does."""
    from qa.assistant import Assistant
    from qa.config import Settings
    from qa.store import CorpusIndex

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "forum.txt").write_text(
        "Activists gather in Brazil\nPorto Alegre hosts the rival World Social Forum this week.\n", encoding="utf-8"
    )
    (corpus / "ski.txt").write_text(
        " date 1987-02-01 Ski races\nBeaver Creek hosts the races this week.\n", encoding="utf-8"
    )
    index, _ = CorpusIndex.open(tmp_path / "index", [corpus], Settings(), bar=False)
    bot = Assistant(index, index.settings, reader=_Anywhere({"Porto Alegre": 0.98, "Beaver Creek": 0.97}))  # type: ignore[arg-type]
    result = bot.answer("Which city hosts the rival World Social Forum?")
    assert {h.chunk.source for h in result.passages} == {"forum.txt", "ski.txt"}  # both were read
    assert result.text == "Porto Alegre" and result.citations[0].source == "forum.txt"
    # the same dated story, once it names the forum, is a newer report of it and answers
    (corpus / "ski.txt").write_text(
        " date 1987-02-01 Ski races\nBeaver Creek hosts the World Social Forum this week.\n", encoding="utf-8"
    )
    index, _ = CorpusIndex.open(tmp_path / "index", [corpus], Settings(), bar=False)
    bot = Assistant(index, index.settings, reader=_Anywhere({"Porto Alegre": 0.98, "Beaver Creek": 0.97}))  # type: ignore[arg-type]
    assert bot.answer("Which city hosts the rival World Social Forum?").text == "Beaver Creek"
