"""Ingestion: articles, metadata and exact physical-line provenance from corpus files."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.ingest import SUPPORTED_SUFFIXES, find_source_files, read_articles
from qa.types import Article

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
SEED = SEEDS / "000_40ab86d132b0175c.txt"


def physical_lines(path: Path) -> list[str]:
    """The file's lines as an editor shows them (what citations must quote)."""
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    return [line.rstrip() for line in re.split(r"\r\n|\r|\n", text)]


def assert_provenance(articles: list[Article], path: Path) -> None:
    physical = physical_lines(path)
    for article in articles:
        for line in article.lines:
            assert line.raw == physical[line.number - 1]
            assert line.raw[line.col : line.col + len(line.text)] == line.text
            assert line.text.strip()


def read_quietly(path: Path, root: Path) -> list[Article]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return read_articles(path, root)


# ------------------------------------------------------------------- seed article


@pytest.fixture(scope="module")
def seed_articles() -> list[Article]:
    return read_quietly(SEED, SEEDS)


def test_seed_main_article(seed_articles: list[Article]) -> None:
    main = seed_articles[0]
    assert main.source == "000_40ab86d132b0175c.txt"
    assert main.date == "2022-03-02"
    assert main.title == ("UNGA votes demanding Russia's withdrawal from Ukraine, ceasefire talks likely tomorrow")
    assert [line.number for line in main.lines] == list(range(1, 11))
    headline, standfirst = main.lines[0], main.lines[1]
    assert headline.text == main.title and headline.raw.startswith(" date 2022-03-02 ")
    assert standfirst.col == 2 and standfirst.text.startswith("Russia-Ukraine conflict:")
    line4 = next(line for line in main.lines if line.number == 4)
    assert "The vote was 141 to 5, with 34 abstentions." in line4.text


def test_seed_related_stories_split_off(seed_articles: list[Article]) -> None:
    related = seed_articles[1:]
    assert [[line.number for line in a.lines] for a in related] == [[11, 12], [13, 14], [15, 16], [17, 18], [19, 20]]
    story = related[1]
    assert story.title == "In a first, Russia says over 450 of its troops killed in Ukraine since invasion"
    assert story.lines[1].text.startswith("Russia’s defence ministry said over 2,870")
    assert related[3].title.startswith("‘Don’t you see?'")  # a '?' inside a headline is fine
    assert all(a.date == "2022-03-02" and a.source == seed_articles[0].source for a in related)
    # Nothing of a related story leaks into the main article and vice versa.
    assert "450 of its troops" not in seed_articles[0].text


def test_seed_lines_are_physical_lines(seed_articles: list[Article]) -> None:
    assert_provenance(seed_articles, SEED)
    numbers = [line.number for a in seed_articles for line in a.lines]
    assert numbers == list(range(1, 21))  # every line of the file, exactly once


def test_seed_without_date_line_uses_first_line_as_headline(tmp_path: Path) -> None:
    lines = SEED.read_text(encoding="utf-8").split("\n")
    path = tmp_path / "nodate.txt"
    path.write_text("\n".join([lines[0].split(" ", 3)[3]] + lines[1:]), encoding="utf-8")
    articles = read_quietly(path, tmp_path)
    assert articles[0].date is None
    assert articles[0].title.startswith("UNGA votes demanding")
    assert len(articles) == 6


def test_seed_tolerates_no_leading_space_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(
        "date 2021-01-05 Headline here\n\n- Standfirst text.\nFirst paragraph. Two.\n"
        "Background\nA paragraph after a subheading.\nLast paragraph.\n\n"
        "Related headline one\nIts summary.\nRelated headline two\nAnother summary.\n",
        encoding="utf-8",
    )
    main, *related = read_quietly(path, tmp_path)
    assert (main.date, main.title) == ("2021-01-05", "Headline here")
    assert main.lines[0].col == len("date 2021-01-05 ")
    assert [line.number for line in main.lines] == [1, 3, 4, 5, 6, 7]  # subheading stays
    assert main.lines[1].text == "Standfirst text."
    assert [(a.title, [line.number for line in a.lines]) for a in related] == [
        ("Related headline one", [9, 10]),
        ("Related headline two", [11, 12]),
    ]
    assert_provenance([main, *related], path)


def test_seed_without_related_stories(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(" date 2021-01-05 Title\n- Stand.\nOne.\nTwo.\n", encoding="utf-8")
    articles = read_quietly(path, tmp_path)
    assert len(articles) == 1 and [line.number for line in articles[0].lines] == [1, 2, 3, 4]


# -------------------------------------------------------------------- plain files


def test_plain_text_and_markdown(tmp_path: Path) -> None:
    (tmp_path / "p.txt").write_text("\n  A plain title\n\nBody line one.\n", encoding="utf-8")
    (tmp_path / "m.md").write_text("# Markdown Title\n\nSome text.\n## Section\n", encoding="utf-8")
    [plain] = read_quietly(tmp_path / "p.txt", tmp_path)
    assert plain.title == "A plain title" and plain.date is None
    assert [(line.number, line.col) for line in plain.lines] == [(2, 2), (4, 0)]
    [md] = read_quietly(tmp_path / "m.md", tmp_path)
    assert md.title == "Markdown Title" and md.lines[0].col == 2
    assert [line.text for line in md.lines] == ["Markdown Title", "Some text.", "Section"]
    assert_provenance([plain], tmp_path / "p.txt")
    assert_provenance([md], tmp_path / "m.md")


# ----------------------------------------------------------------------- encoding


def test_bom_crlf_and_trailing_whitespace(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"\xef\xbb\xbf date 2022-03-02 Head line  \r\n- Stand first.\t\r\nPara one.   \r\rPara two.\r\n")
    [article] = read_quietly(path, tmp_path)
    assert article.title == "Head line" and article.date == "2022-03-02"
    assert [(line.number, line.raw) for line in article.lines] == [
        (1, " date 2022-03-02 Head line"),
        (2, "- Stand first."),
        (3, "Para one."),
        (5, "Para two."),
    ]
    assert_provenance([article], path)


def test_empty_file_warns(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.warns(UserWarning, match="empty.txt.*empty"):
        assert read_articles(path, tmp_path) == []
    (tmp_path / "blank.md").write_text(" \n\n\t\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="blank.md"):
        assert read_articles(tmp_path / "blank.md", tmp_path) == []


def test_invalid_utf8_is_replaced_with_warning(tmp_path: Path) -> None:
    path = tmp_path / "bad-bytes.txt"
    path.write_bytes("Café story\nIt was naïve.\n".encode() + b"One \xff byte.\n")
    with pytest.warns(UserWarning, match=r"bad-bytes\.txt.*UTF-8"):
        [article] = read_articles(path, tmp_path)
    assert article.title == "Café story"
    assert article.lines[2].text == "One \ufffd byte."


def test_utf16_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "u16.txt"
    path.write_bytes("Title\nBody.\n".encode("utf-16"))
    [article] = read_quietly(path, tmp_path)
    assert [line.text for line in article.lines] == ["Title", "Body."]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            # (a NUL makes it a binary file: tests/reliability)
            st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"), max_size=20),
            st.sampled_from(["\n", "\r\n", "\r"]),
        ),
        min_size=1,
        max_size=8,
    ),
    st.booleans(),
)
def test_any_text_keeps_physical_lines(tmp_path_factory, parts, bom) -> None:
    path = tmp_path_factory.mktemp("prop") / "x.txt"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + "".join(a + b for a, b in parts).encode())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # empty files warn; that is tested elsewhere
        articles = read_articles(path, path.parent)
    assert_provenance(articles, path)
    # ("\r" then "\n" from the next part is one CRLF break, so count from the file.)
    expected = [i for i, text in enumerate(physical_lines(path), start=1) if text.strip()]
    got = sorted(line.number for a in articles for line in a.lines)
    # Every non-blank line is read once (a bare seed "- " standfirst or date-only
    # headline carries no prose and may be dropped).
    assert set(got) <= set(expected) and len(got) == len(set(got))
    assert len(expected) - len(got) <= 2


# -------------------------------------------------------------------------- JSONL


def test_jsonl_articles_and_bad_records(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "news.jsonl"
    path.parent.mkdir()
    records = [
        json.dumps(
            {
                "id": "a/1",
                "title": "First",
                "date": "26-FEB-1987 15:01:01.79",
                "text": "Line one.\n\n  Line three.\r\nLine four.",
            }
        ),
        "{not json",
        json.dumps({"id": "b", "text": "no title"}),
        "",
        json.dumps({"id": 7, "title": "Third", "text": "Only line."}),
    ]
    path.write_text("\n".join(records) + "\n", encoding="utf-8")
    with pytest.warns(
        UserWarning,
        match=r"news\.jsonl: skipped 2 bad record\(s\) \(line 2: invalid JSON.*line 3: missing field\(s\) title",
    ):
        articles = read_articles(path, tmp_path)
    assert [a.source for a in articles] == ["sub/news.jsonl#a/1", "sub/news.jsonl#7"]
    first = articles[0]
    assert (first.title, first.date) == ("First", "1987-02-26")
    assert [(line.number, line.col, line.text) for line in first.lines] == [
        (1, 0, "Line one."),
        (3, 2, "Line three."),
        (4, 0, "Line four."),
    ]
    assert articles[1].date is None


def test_jsonl_duplicate_ids_warn(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    rec = json.dumps({"id": "x", "title": "T", "text": "Body."})
    path.write_text(f"{rec}\n{rec}\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="duplicate id"):
        assert len(read_articles(path, tmp_path)) == 2


# -------------------------------------------------------------------------- files


def test_find_source_files(tmp_path: Path) -> None:
    for name in ["b.txt", "a/x.md", "a/y.jsonl", "a/z.csv", ".hidden.txt", ".git/c.txt", "a/.d/e.txt", "C.TXT"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("t\n", encoding="utf-8")
    found = find_source_files([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["C.TXT", "a/x.md", "a/y.jsonl", "b.txt"]
    assert find_source_files([tmp_path / "b.txt", tmp_path / "b.txt"]) == [tmp_path / "b.txt"]
    with pytest.warns(UserWarning, match="unsupported"):
        assert find_source_files([tmp_path / "a/z.csv"]) == []
    assert ".jsonl" in SUPPORTED_SUFFIXES


def test_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does-not-exist"):
        find_source_files([tmp_path / "does-not-exist"])


def test_sources_are_relative_to_the_root_or_just_the_name_outside_it(tmp_path: Path) -> None:
    articles = read_articles(SEED, SEEDS.parent)
    assert len(articles) == 6 and articles[0].source == "seeds/000_40ab86d132b0175c.txt"
    [outside] = read_quietly(SEED, tmp_path)[:1]
    assert outside.source == SEED.name
