"""Chunking: whole sentences, bounded size, overlap, and exact provenance of every piece."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.chunk import chunk_article, chunk_articles, split_sentences
from qa.embed import Embedder
from qa.ingest import read_articles
from qa.types import Article, Chunk, Line

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
SEED = SEEDS / "000_40ab86d132b0175c.txt"


def words(text: str) -> int:
    """A fast stand-in token counter for property tests."""
    return len(text.split())


def sentences_of(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


# ------------------------------------------------------------------ split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mr. Smith met Dr. Jones. They talked.", ["Mr. Smith met Dr. Jones.", "They talked."]),
        ("The U.S. and the U.N. agreed. Talks ended.", ["The U.S. and the U.N. agreed.", "Talks ended."]),
        (
            "Growth was 3.5 percent. It fell to 2.1. Prices rose.",
            ["Growth was 3.5 percent.", "It fell to 2.1.", "Prices rose."],
        ),
        (
            "He met J. K. Rowling and George W. Bush. Both smiled.",
            ["He met J. K. Rowling and George W. Bush.", "Both smiled."],
        ),
        ('"We will win," he said. "Never!" She left.', ['"We will win," he said.', '"Never!"', "She left."]),
        (
            "He said “stop.” Then silence. Why? Nobody knows!",
            ["He said “stop.”", "Then silence.", "Why?", "Nobody knows!"],
        ),
        (
            "Fruit, e.g. Apples, i.e. Red ones, etc. Are fine. Yes.",
            ["Fruit, e.g. Apples, i.e. Red ones, etc. Are fine.", "Yes."],
        ),
        (
            "Flat No. 5 burned. St. Paul was fine (see below.) Ok.",
            ["Flat No. 5 burned.", "St. Paul was fine (see below.)", "Ok."],
        ),
        (
            "The vote was 141 to 5, with 34 abstentions. It came after 1997.",
            ["The vote was 141 to 5, with 34 abstentions.", "It came after 1997."],
        ),
        ("Prices rose. 42 firms said so.", ["Prices rose.", "42 firms said so."]),
        ("it ended. then it began", ["it ended. then it began"]),  # lower case: not a new sentence
        ("  Padded.   Text.  ", ["Padded.", "Text."]),
        ("No punctuation at all", ["No punctuation at all"]),
        ("", []),
        ("   ", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert sentences_of(text) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('aZ9 .?!"”’)(‘\t.,Mr')), max_size=60) | st.text(max_size=40))
def test_split_sentences_covers_text_with_only_whitespace_gaps(text: str) -> None:
    spans = split_sentences(text)
    position = 0
    for start, end in spans:
        assert position <= start < end <= len(text)
        assert not text[position:start].strip()  # only whitespace between sentences
        assert text[start:end] == text[start:end].strip()
        position = end
    assert not text[position:].strip()
    assert bool(spans) == bool(text.strip())


# ---------------------------------------------------------- generated articles

WORDS = [
    "the",
    "vote",
    "was",
    "troops",
    "city",
    "talks",
    "said",
    "in",
    "of",
    "141",
    "3.5",
    "5,000",
    "Kyiv",
    "Mr. Smith",
    "the U.S.",
    "J. K. Rowling",
    "e.g. this",
    "Dr. Jones",
    "(no)",
]
OPENERS = ["The", "Russia", "Officials", "It", "42", '"We', "“Nobody", "Moscow"]
ENDINGS = [".", ".", "?", "!", '."', ".”", "?’", ".)"]
LINE_END = re.compile(r"[.?!…][\"'”’)\]]*$")


@st.composite
def generated_articles(draw) -> tuple[Article, list[list[tuple[int, int, int]]]]:
    """An article plus the true sentences, each a list of (line number, raw start, end).

    Paragraphs are one line each, separated by optional blank lines, with random
    indentation and spacing; some sentences are hard-wrapped over several lines at a
    space before a lower-case word (as wire copy is).
    """
    sentence = st.tuples(
        st.sampled_from(OPENERS),
        st.lists(st.sampled_from(WORDS), max_size=14),
        st.sampled_from(["ended", "here", "today"]),
        st.sampled_from(ENDINGS),
    ).map(lambda t: [t[0], *t[1], t[2] + t[3]])
    paragraphs = draw(st.lists(st.lists(sentence, min_size=1, max_size=5), min_size=1, max_size=6))
    indent = st.sampled_from(["", "", "  ", "\t"])
    wrap = draw(st.integers(0, 6))  # 0: never wrap; else wrap with probability ~1/wrap
    lines: list[Line] = []
    truth: list[list[tuple[int, int, int]]] = []
    number = 0
    for paragraph in paragraphs:
        number += draw(st.sampled_from([1, 1, 2]))  # 2: a blank line before it
        prefix = draw(indent)
        content = ""
        for index, tokens in enumerate(paragraph):
            if index:
                content += draw(st.sampled_from([" ", " ", "  ", "\t "]))
            segments: list[tuple[int, int, int]] = []
            seg_start = len(prefix) + len(content)
            for position, token in enumerate(tokens):
                if position:
                    can_wrap = token[0].islower() and not LINE_END.search(tokens[position - 1])
                    if can_wrap and wrap and draw(st.integers(0, wrap)) == 0:
                        segments.append((number, seg_start, len(prefix) + len(content)))
                        lines.append(Line(number, prefix + content, content, len(prefix)))
                        number += 1
                        prefix, content = draw(indent), ""
                        seg_start = len(prefix)
                    else:
                        content += " "
                content += token
            segments.append((number, seg_start, len(prefix) + len(content)))
            truth.append(segments)
        lines.append(Line(number, prefix + content, content, len(prefix)))
    article = Article(source="gen.txt", title="Generated", date="2024-01-01", lines=tuple(lines))
    return article, truth


def covered(chunk: Chunk) -> dict[int, tuple[int, int]]:
    return {p.line: (p.col, p.col + p.length) for p in chunk.pieces}


def sentence_ids(chunk: Chunk, truth: list[list[tuple[int, int, int]]]) -> list[int]:
    """Sentences wholly inside the chunk; fails if any sentence is only partly inside."""
    spans = covered(chunk)
    inside = []
    for index, segments in enumerate(truth):
        hits = [line in spans and spans[line][0] <= start and end <= spans[line][1] for line, start, end in segments]
        touches = [line in spans and start < spans[line][1] and spans[line][0] < end for line, start, end in segments]
        assert all(hits) or not any(touches), f"sentence {index} is split by {chunk.pieces}"
        if all(hits):
            inside.append(index)
    return inside


def sentence_tokens(article: Article, segments: list[tuple[int, int, int]]) -> int:
    raw = {line.number: line.raw for line in article.lines}
    return sum(words(raw[line][start:end]) for line, start, end in segments)


def check_pieces(chunk: Chunk, article: Article) -> None:
    raw = {line.number: line.raw for line in article.lines}
    assert chunk.quotes == {p.line: raw[p.line] for p in chunk.pieces}
    assert "\n".join(chunk.text[p.start : p.start + p.length] for p in chunk.pieces) == chunk.text
    for piece in chunk.pieces:
        assert piece.length > 0
        original = chunk.quotes[piece.line][piece.col : piece.col + piece.length]
        assert chunk.text[piece.start : piece.start + piece.length] == original
    assert [p.line for p in chunk.pieces] == sorted({p.line for p in chunk.pieces})
    assert (chunk.source, chunk.title, chunk.date) == (article.source, article.title, article.date)


@settings(max_examples=150, deadline=None)
@given(generated_articles(), st.integers(3, 60), st.integers(0, 40))
def test_chunk_properties(generated, max_tokens: int, overlap: int) -> None:
    """Sentences that fit the budget are never cut (longer ones: tests/reliability)."""
    article, truth = generated
    max_tokens = max(max_tokens, *(sentence_tokens(article, segments) for segments in truth))
    overlap = min(overlap, max_tokens - 1)
    chunks = chunk_article(article, words, max_tokens, overlap)
    assert chunks
    ids = []
    for chunk in chunks:
        check_pieces(chunk, article)
        inside = sentence_ids(chunk, truth)  # also asserts that no sentence is split
        assert inside == list(range(inside[0], inside[-1] + 1))  # consecutive sentences
        assert words(chunk.text) <= max_tokens or len(inside) == 1
        ids.append(inside)
    assert set().union(*map(set, ids)) == set(range(len(truth)))  # every sentence whole somewhere
    tokens = [sentence_tokens(article, segments) for segments in truth]
    for previous, current in zip(ids, ids[1:]):
        assert previous[0] < current[0] and previous[-1] < current[-1]  # progress, no repeats
        shared = sorted(set(previous) & set(current))
        assert sum(tokens[i] for i in shared) <= overlap
        assert not shared or shared == list(range(current[0], previous[-1] + 1))
        last, new = previous[-1], previous[-1] + 1
        if overlap and len(previous) > 1 and tokens[last] <= overlap and tokens[last] + tokens[new] <= max_tokens:
            assert shared, "consecutive chunks should overlap"


def test_long_sentence_is_cut_at_whitespace_and_overlap_is_whole_sentences() -> None:
    long = "Long " + " ".join(["word"] * 19) + " end."
    text = f"Short one. {long} Tail a. Tail b."
    article = Article("a.txt", "T", None, (Line(1, text, text, 0),))
    chunks = chunk_article(article, words, max_tokens=6, overlap_tokens=3)
    cut = ["Long word word word word word", *["word word word word word word"] * 2, "word word end."]
    assert [c.text for c in chunks] == ["Short one.", *cut, "Tail a. Tail b."]
    chunks = chunk_article(article, words, max_tokens=50, overlap_tokens=10)
    assert [c.text for c in chunks] == [text.rstrip()]


def test_overlap_repeats_trailing_sentences() -> None:
    lines = tuple(Line(n, f"Sentence {n} here.", f"Sentence {n} here.", 0) for n in range(1, 7))
    chunks = chunk_article(Article("a.txt", "T", None, lines), words, max_tokens=9, overlap_tokens=3)
    assert [[p.line for p in c.pieces] for c in chunks] == [[1, 2, 3], [3, 4, 5], [5, 6]]


def test_chunk_edge_cases() -> None:
    assert chunk_article(Article("a.txt", "T", None, ()), words) == []
    with pytest.raises(ValueError):
        chunk_article(Article("a.txt", "T", None, ()), words, max_tokens=10, overlap_tokens=10)
    with pytest.raises(ValueError):
        chunk_articles([], words, max_tokens=0)


# ------------------------------------------------------------- the real tokenizer


def test_seed_chunks_with_embedder_tokens() -> None:
    embedder = Embedder()
    count = embedder.token_counter()
    assert embedder.token_counter() is count  # the tokenizer is loaded once per embedder
    assert count("The vote was 141 to 5.") > 0 and count("") == 0
    articles = read_articles(SEED, SEEDS)
    chunks = chunk_articles(articles, count, max_tokens=64, overlap_tokens=16)
    for article in articles:
        mine = chunk_article(article, count, 64, 16)
        for chunk in mine:
            check_pieces(chunk, article)
            assert count(chunk.text) <= 64 or len(split_sentences(chunk.text)) == 1
        for previous, current in zip(mine, mine[1:]):
            assert previous.text != current.text
    assert sum(len(chunk_article(a, count, 64, 16)) for a in articles) == len(chunks)
    vote = [c for c in chunks if "The vote was 141 to 5, with 34 abstentions." in c.text]
    assert vote and all(any(p.line == 4 for p in c.pieces) for c in vote)
    main = [c for c in chunks if c.title.startswith("UNGA votes")]
    assert main[0].text.startswith("UNGA votes demanding") and main[0].pieces[0].col == 17
    assert all(c.date == "2022-03-02" for c in chunks)
