"""Date and source filters (#17): applied inside retrieval, in the API and the CLI.

A small dated corpus: two seed-format reports of a UN General Assembly vote on
different days with different counts (one under uploads/), and a JSONL file with a
dated and an undated article. The same question gets a different, correctly cited
answer under two date ranges; a source filter leaves an article out.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from qa.assistant import named_date
from qa.cli import main
from qa.retrieve import retrieve
from qa.types import Filter, FilterError, source_matches

MARCH = "a_march.txt"
OCTOBER = "uploads/b_october.txt"
NEWS = "news.jsonl"
MARCH_TEXT = """\
 date 2022-03-02 UN assembly votes on Ukraine resolution
- The General Assembly met in an emergency session on Wednesday.
The United Nations General Assembly voted on Wednesday to demand that Russia withdraw its troops from Ukraine.
The vote was 141 to 5, with 34 abstentions.
"""
OCTOBER_TEXT = """\
 date 2022-10-12 UN assembly votes on annexation resolution
- The General Assembly condemned the annexation of four regions of Ukraine.
The United Nations General Assembly voted on Wednesday to condemn Russia's annexation of four Ukrainian regions.
The vote was 143 to 5, with 35 abstentions.
"""
NEWS_RECORDS = [
    {
        "id": "markets/1",
        "title": "Oil prices climb",
        "date": "2022-03-02",
        "text": "Oil prices rose 5% on Wednesday as traders weighed sanctions on Russia.",
    },
    {"id": "sport/1", "title": "Cup final vote", "text": "Fans voted the final the match of the season by 70 to 30."},
]
VOTE = "What was the vote in the General Assembly?"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("dated-corpus")
    (root / MARCH).write_text(MARCH_TEXT, encoding="utf-8")
    (root / "uploads").mkdir()
    (root / OCTOBER).write_text(OCTOBER_TEXT, encoding="utf-8")
    (root / NEWS).write_text("".join(json.dumps(r) + "\n" for r in NEWS_RECORDS), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("dated-index")


@pytest.fixture(scope="module")
def index(corpus, index_dir):
    from qa.config import Settings
    from qa.store import CorpusIndex

    built, _ = CorpusIndex.open(index_dir, [corpus], Settings(), bar=False)
    return built


@pytest.fixture(scope="module")
def bot(index, reader_dir):
    from qa.assistant import Assistant

    return Assistant(index, index.settings.with_overrides(reader_path=reader_dir))


# ------------------------------------------------------------------ the type


def test_filter_parses_validates_and_round_trips():
    f = Filter.of("2022-03-01", "2022-03-31", "uploads/")
    assert (f.since, f.until, f.sources) == (date(2022, 3, 1), date(2022, 3, 31), ("uploads/",))
    assert Filter.from_dict(f.to_dict()) == f
    assert f.to_dict() == {"since": "2022-03-01", "until": "2022-03-31", "sources": ["uploads/"]}
    assert Filter.from_dict({}) == Filter() and not Filter()
    assert Filter.of(date(2022, 3, 2), date(2022, 3, 2)).describe() == "2022-03-02"
    assert (
        Filter.of(since="2022-03-01", sources=["a.txt", "b.txt"]).describe() == "from 2022-03-01; sources: a.txt, b.txt"
    )
    for bad in ("2022-13-01", "March 2", "2022/03/02", "02-03-2022"):
        with pytest.raises(FilterError, match="since must be a date written YYYY-MM-DD"):
            Filter.of(since=bad)
    with pytest.raises(FilterError, match="is after until"):
        Filter.of("2022-04-01", "2022-03-01")
    with pytest.raises(FilterError, match="non-empty"):
        Filter.of(sources=[""])


def test_source_patterns_match_a_label_a_file_or_a_prefix_ending_at_slash_or_hash():
    assert source_matches("a.txt", "a.txt")
    assert not source_matches("a.txt.bak", "a.txt")
    assert source_matches("bbc.jsonl#business/001", "bbc.jsonl")  # a JSONL file: all its articles
    assert source_matches("bbc.jsonl#business/001", "bbc.jsonl#")
    assert source_matches("bbc.jsonl#business/001", "bbc.jsonl#business/")  # a category
    assert not source_matches("bbc.jsonl#businesses/001", "bbc.jsonl#business/")
    assert not source_matches("bbc.jsonl#business/001", "bbc.jsonl#business")  # an id is exact
    assert source_matches("uploads/x.txt", "uploads/")
    assert not source_matches("uploads2/x.txt", "uploads")


def test_date_filters_leave_undated_articles_out():
    f = Filter.of("2022-03-01", None)
    assert f.allows_date("2022-03-02") and not f.allows_date("2022-02-28")
    assert not f.allows_date(None) and not f.allows_date("spring 2022")
    assert Filter().allows_date(None)


def test_named_dates_resolve_only_to_a_day_some_article_carries():
    dates = {date(2022, 3, 2), date(2022, 10, 12)}
    assert named_date("What was the vote on March 2, 2022?", dates) == date(2022, 3, 2)
    assert named_date("What was the vote on 12 October 2022?", dates) == date(2022, 10, 12)
    assert named_date("What happened on the 12th of Oct 2022?", dates) == date(2022, 10, 12)
    assert named_date("Votes on 2022-03-02?", dates) == date(2022, 3, 2)
    assert named_date("What was the vote on March 2?", dates) == date(2022, 3, 2)  # one year has March 2
    assert named_date("What was the vote on March 2?", dates | {date(2021, 3, 2)}) is None  # which year?
    assert named_date("What was the vote on March 5, 2022?", dates) is None  # no article that day
    assert named_date("What was the vote last Wednesday?", dates) is None
    assert named_date("How many may 2 countries have said?", dates) is None  # "may" is not May
    assert named_date("Between March 2, 2022 and October 12, 2022?", dates) is None  # two days


# ------------------------------------------------------- inside retrieval


def test_searches_return_the_top_k_among_the_allowed_chunks(index):
    query = "General Assembly vote Wednesday Russia"
    for search in (index.search_bm25, index.search_dense):
        everything = search(query, len(index.chunks))
        for f in (Filter.of(until="2022-03-31"), Filter.of(sources=["uploads/"]), Filter.of(sources=[NEWS])):
            allowed = [(i, s) for i, s in everything if f.allows(index.chunks[i])]
            got = search(query, 1, filter=f)
            assert got and got[0][0] == allowed[0][0], (search.__name__, f)  # k=1: the best allowed, not dropped
            assert [i for i, _ in search(query, 50, filter=f)] == [i for i, _ in allowed][:50]
    assert index.search_bm25(query, 5, filter=Filter.of(sources=["nothing.txt"])) == []
    assert index.search_dense(query, 5, filter=Filter.of(sources=["nothing.txt"])) == []


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_retrieve_keeps_to_the_filter_in_every_mode(index, mode):
    since = retrieve(index, VOTE, 5, mode, filter=Filter.of(since="2022-06-01"))
    assert since and {h.chunk.source for h in since} == {OCTOBER}
    dated = retrieve(index, "Fans match of the season", 5, mode, filter=Filter.of(since="2000-01-01"))
    assert dated and f"{NEWS}#sport/1" not in {h.chunk.source for h in dated}  # undated: left out
    sport = retrieve(index, VOTE, 5, mode, filter=Filter.of(sources=[f"{NEWS}#sport/"]))
    assert {h.chunk.source for h in sport} == {f"{NEWS}#sport/1"}
    # a follow-up's sources and a filter narrow together
    assert retrieve(index, VOTE, 5, mode, sources=[MARCH], filter=Filter.of(sources=["uploads/"])) == []
    both = retrieve(index, VOTE, 5, mode, sources=[MARCH, OCTOBER], filter=Filter.of(until="2022-03-31"))
    assert {h.chunk.source for h in both} == {MARCH}


# ------------------------------------------------------- answers (real reader)


def test_the_same_question_gets_each_date_ranges_answer_and_citation(bot):
    unfiltered = bot.answer(VOTE)
    assert "143 to 5" in unfiltered.text and unfiltered.filter is None  # the newest report wins
    march = bot.answer(VOTE, since="2022-03-01", until="2022-03-31")
    assert "141 to 5" in march.text
    assert (march.citations[0].source, march.citations[0].line) == (MARCH, 4)
    assert march.earlier_reports == []
    assert march.to_dict()["filter"] == {"since": "2022-03-01", "until": "2022-03-31", "sources": []}
    october = bot.answer(VOTE, filter=Filter.of(since="2022-10-01"))
    assert "143 to 5" in october.text
    assert (october.citations[0].source, october.citations[0].line) == (OCTOBER, 4)
    assert {h.chunk.source for h in october.passages} == {OCTOBER}
    nothing = bot.answer(VOTE, since="2023-01-01")
    assert nothing.abstained and nothing.passages == []


def test_a_source_filter_leaves_an_article_out(bot):
    result = bot.answer(VOTE, sources=[MARCH, NEWS])
    assert "141 to 5" in result.text and result.citations[0].source == MARCH
    assert OCTOBER not in {h.chunk.source for h in result.passages}
    assert result.filter == Filter.of(sources=[MARCH, NEWS])


def test_filter_arguments_are_checked(bot):
    with pytest.raises(FilterError, match="until must be a date"):
        bot.answer(VOTE, until="yesterday")
    with pytest.raises(FilterError, match="either filter= or"):
        bot.answer(VOTE, filter=Filter(), since="2022-01-01")


def test_a_question_naming_a_date_is_narrowed_to_it(bot):
    march = bot.answer("What was the vote in the General Assembly on March 2, 2022?")
    assert "141 to 5" in march.text and march.citations[0].source == MARCH
    assert march.filter == Filter.of("2022-03-02", "2022-03-02")
    assert march.to_dict()["filter"]["since"] == "2022-03-02"
    no_year = bot.answer("What was the vote in the General Assembly on October 12?")
    assert "143 to 5" in no_year.text and no_year.filter == Filter.of("2022-10-12", "2022-10-12")
    not_carried = bot.answer("What was the vote in the General Assembly on March 5, 2022?")
    assert not_carried.filter is None
    asked = bot.answer("What was the vote in the General Assembly on March 2, 2022?", since="2022-10-01")
    assert asked.filter == Filter.of(since="2022-10-01")  # the caller's dates rule
    assert {h.chunk.source for h in asked.passages} == {OCTOBER}


# ------------------------------------------------------------------- the CLI


def test_cli_since_until_and_source(corpus, index_dir, index, reader_dir, capsys):
    base = ["--corpus", str(corpus), "--index", str(index_dir)]
    assert main(["ask", VOTE, "--until", "2022-03-31", *base]) == 0
    out = capsys.readouterr().out
    assert "141 to 5" in out and f"{MARCH}:4" in out and "(filtered: until 2022-03-31)" in out.splitlines()[0]
    assert main(["ask", VOTE, "--source", MARCH, "--source", NEWS, "--json", *base]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "141 to 5" in data["text"] and data["citations"][0]["source"] == MARCH
    assert OCTOBER not in {p["source"] for p in data["passages"]}
    assert data["filter"] == {"since": None, "until": None, "sources": [MARCH, NEWS]}
    assert main(["ask", "What was the vote in the General Assembly on 12 October 2022?", *base]) == 0
    out = capsys.readouterr().out
    assert "143 to 5" in out and "(filtered: 2022-10-12)" in out


def test_cli_bad_dates_exit_2_with_one_error_line(tmp_path, capsys):
    assert main(["ask", VOTE, "--since", "2022-02-30", "--index", str(tmp_path / "i")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: since must be a date written YYYY-MM-DD") and len(err.strip().splitlines()) == 1
    assert main(["ask", VOTE, "--since", "2022-05-01", "--until", "2022-03-01", "--index", str(tmp_path / "i")]) == 2
    err = capsys.readouterr().err
    assert "is after until" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "i").exists()  # refused before any indexing


def test_a_named_date_is_cut_from_what_the_reader_reads():
    from qa.assistant import without_dates

    assert without_dates("What was the vote in the General Assembly on March 2, 2022?") == (
        "What was the vote in the General Assembly?"
    )
    assert without_dates("What happened on the 12th of Oct 2022 in Kyiv?") == "What happened in Kyiv?"
    assert without_dates("Votes on 2022-03-02?") == "Votes?"


# -------------------------------------------------------------------- the UI


def test_the_chat_says_which_filter_applied():
    from qa.ui import render

    assert render.filter_text(Filter.of("2022-03-02", "2022-03-02")) == "dated 2022-03-02"
    assert (
        render.filter_text(Filter.of(since="2022-03-01", sources=["uploads/"]))
        == "dated from 2022-03-01; from uploads/"
    )
    assert render.filter_text(Filter.of(until="2022-03-31")) == "dated until 2022-03-31"
    from qa.types import Answer

    reply = render.render_reply(Answer(VOTE, "x", 0.2, True, filter=Filter.of(sources=[MARCH])))
    assert reply.startswith("*Only articles from a\\_march.txt*")  # Markdown: the _ escaped


def test_the_ui_reads_its_filter_fields():
    from qa.ui.app import _filter

    assert _filter("", " ", "") == Filter()
    assert _filter("2022-03-01", "", f" {MARCH}, uploads/ ,") == Filter.of("2022-03-01", None, [MARCH, "uploads/"])
    assert _filter(None, "2022-03-31", [NEWS]) == Filter.of(until="2022-03-31", sources=[NEWS])
    with pytest.raises(FilterError):
        _filter("March", "", "")


@pytest.mark.slow
def test_the_ask_route_takes_dates_and_sources(corpus, tmp_path):
    """Through the app's /ask route (gradio_client), as scripts and the chat use it."""
    pytest.importorskip("gradio_client")
    import shutil

    from qa.evaluate.load import _client, serving

    served = tmp_path / "corpus"
    shutil.copytree(corpus, served)
    with serving(served, tmp_path / "index", concurrency=2) as url:
        client = _client(url)
        march = client.predict(VOTE, [], None, None, "2022-03-01", "2022-03-31", [], api_name="/ask")
        assert "141 to 5" in march["text"] and march["citations"][0]["source"] == MARCH
        october = client.predict(VOTE, [], None, None, "2022-10-01", None, [], api_name="/ask")
        assert "143 to 5" in october["text"] and october["citations"][0]["source"] == OCTOBER
        only = client.predict(VOTE, [], None, None, None, None, [MARCH, NEWS], api_name="/ask")
        assert only["citations"][0]["source"] == MARCH
        assert OCTOBER not in {p["source"] for p in only["passages"]}
        with pytest.raises(Exception, match="since must be a date"):
            client.predict(VOTE, [], None, None, "soon", None, [], api_name="/ask")
