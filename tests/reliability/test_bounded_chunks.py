"""Issue #18, defect 1: one 1 MB line without full stops became one 1,039,492-character
passage (minutes per question). Chunks now have a hard size bound, keep exact provenance,
and titles are capped so the reader gets a bounded amount of text per passage."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from qa.chunk import MAX_CHARS_PER_TOKEN, chunk_article, split_sentences
from qa.embed import embedder_token_counter
from qa.ingest import MAX_TITLE_CHARS, read_articles
from qa.types import Article, Chunk, Line

MEGABYTE = 1_000_000
WORDS = ["the", "vote", "was", "troops", "city", "talks", "said", "in", "of", "141", "assembly", "Kyiv"]


def words(text: str) -> int:
    """A stand-in token counter: one token per whitespace-separated word."""
    return len(text.split())


def one_line_article(text: str) -> Article:
    return Article("big.txt", "Big", None, (Line(1, text, text, 0),))


def assert_exact_provenance(chunk: Chunk, article: Article) -> None:
    """Every piece of the chunk is a verbatim slice of its line, at the recorded column."""
    raw = {line.number: line.raw for line in article.lines}
    assert "\n".join(chunk.text[p.start : p.start + p.length] for p in chunk.pieces) == chunk.text
    for piece in chunk.pieces:
        assert piece.length > 0
        source = raw[piece.line][piece.col : piece.col + piece.length]
        assert chunk.text[piece.start : piece.start + piece.length] == source


def uncovered(chunks: list[Chunk], article: Article) -> list[tuple[int, int]]:
    """(line, column) of the words (runs of non-whitespace) that no chunk fully contains."""
    masks = {line.number: bytearray(len(line.raw)) for line in article.lines}
    for chunk in chunks:
        for p in chunk.pieces:
            masks[p.line][p.col : p.col + p.length] = b"\x01" * p.length
    return [
        (line.number, word.start())
        for line in article.lines
        for word in re.finditer(r"\S+", line.raw)
        if 0 in masks[line.number][word.start() : word.end()]
    ]


def test_megabyte_line_without_full_stops_is_cut_into_bounded_chunks() -> None:
    count = embedder_token_counter()
    counted: list[int] = []

    def counting(text: str) -> int:
        counted.append(len(text))
        return count(text)

    rng = random.Random(0)
    line = " ".join(rng.choice(WORDS) for _ in range(250_000))[:MEGABYTE].strip()
    article = one_line_article(line)
    chunks = chunk_article(article, counting, max_tokens=128, overlap_tokens=32)
    assert len(chunks) > 1000
    assert max(len(c.text) for c in chunks) <= 128 * MAX_CHARS_PER_TOKEN
    assert all(count(c.text) <= 128 for c in chunks)
    for chunk in chunks[:50] + chunks[-50:]:
        assert_exact_provenance(chunk, article)
    # cut at whitespace: no word is split, and every word is in some chunk
    assert all(c.text.split() and set(c.text.split()) <= set(WORDS) for c in chunks)
    assert not uncovered(chunks, article)
    # tokens are counted on bounded windows, not on the whole line again and again
    assert sum(counted) <= 20 * len(line)


def test_megabyte_word_is_cut_anywhere() -> None:
    """WordPiece reads a word of over 100 characters as one [UNK] token: characters count too."""
    article = one_line_article("x" * MEGABYTE)
    chunks = chunk_article(article, embedder_token_counter(), max_tokens=128, overlap_tokens=32)
    assert max(len(c.text) for c in chunks) <= 128 * MAX_CHARS_PER_TOKEN
    assert sum(len(c.text) for c in chunks) == MEGABYTE  # pieces too big to overlap: each once
    assert_exact_provenance(chunks[-1], article)


def test_sentence_splitting_looks_at_bounded_slices_of_a_megabyte_line() -> None:
    """Each abbreviation check looked at the whole line before it (6 s for this 1 MB line):
    every slice split_sentences takes of the line must stay short, however long the line."""

    class Watched(str):
        longest = 0

        def __getitem__(self, key):  # type: ignore[override]
            piece = str.__getitem__(self, key)
            Watched.longest = max(Watched.longest, len(piece))
            return piece

    line = ("Mr. Smith met Dr. Jones and the U.S. team. " * 25_000).strip()
    spans = split_sentences(Watched(line))
    assert len(spans) == 25_000 and line[spans[1][0] : spans[1][1]] == "Mr. Smith met Dr. Jones and the U.S. team."
    assert Watched.longest <= 100


def test_long_run_of_spaces_does_not_make_a_long_chunk() -> None:
    text = "Start" + " " * 100_000 + "end here."
    chunks = chunk_article(one_line_article(text), words, max_tokens=16, overlap_tokens=4)
    assert max(len(c.text) for c in chunks) <= 16 * MAX_CHARS_PER_TOKEN
    assert [c.text.strip() for c in chunks] == ["Start", "end here."]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(WORDS + ["x" * 40, "Mr.", "ended."]), min_size=1, max_size=120),
            st.sampled_from([" ", "  ", "\t", " " * 30]),
        ),
        min_size=1,
        max_size=4,
    ),
    st.integers(3, 40),  # 3 * MAX_CHARS_PER_TOKEN > 40: every word fits (longer ones: above)
    st.integers(0, 39),
)
def test_every_chunk_fits_and_every_word_is_kept_whole(paragraphs, max_tokens: int, overlap: int) -> None:
    lines = tuple(Line(n, sep.join(tokens), sep.join(tokens), 0) for n, (tokens, sep) in enumerate(paragraphs, start=1))
    article = Article("gen.txt", "Generated", None, lines)
    chunks = chunk_article(article, words, max_tokens, min(overlap, max_tokens - 1))
    for chunk in chunks:
        assert_exact_provenance(chunk, article)
        assert words(chunk.text) <= max_tokens
        assert len(chunk.text) <= max_tokens * MAX_CHARS_PER_TOKEN + 2 * len(chunk.pieces)
        raw = {line.number: line.raw for line in lines}
        for piece in chunk.pieces:  # pieces start and end at word boundaries
            line = raw[piece.line]
            assert piece.col == 0 or line[piece.col - 1].isspace()
            end = piece.col + piece.length
            assert end == len(line) or line[end].isspace()
    assert not uncovered(chunks, article)


def test_titles_are_capped(tmp_path: Path) -> None:
    long_line = " ".join(["word"] * 250_000)  # a 1.2 MB first line
    (tmp_path / "plain.txt").write_text(f"{long_line}\nSecond line.\n", encoding="utf-8")
    record = {"id": "a", "title": long_line, "text": "Body text."}
    (tmp_path / "feed.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    (tmp_path / "seed.txt").write_text(f" date 2024-01-02 {long_line}\n- Stand.\nBody.\n", encoding="utf-8")
    for name in ("plain.txt", "feed.jsonl", "seed.txt"):
        [article, *_] = read_articles(tmp_path / name, tmp_path)
        assert 0 < len(article.title) <= MAX_TITLE_CHARS, name
        assert article.title.startswith("word word")
    [plain] = read_articles(tmp_path / "plain.txt", tmp_path)
    assert plain.lines[0].text == long_line  # the line itself is still read, and citable
