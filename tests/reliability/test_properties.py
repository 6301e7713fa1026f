"""Issue #18, property tests over the whole path from file bytes to a citation.

tests/test_chunk.py checks chunking of `Article`s built in memory and tests/test_cite.py
cites hand-built chunks; here random documents are written to disk (random line breaks
\\n, \\r\\n and \\r, CRLF files, BOMs, UTF-16, unicode of every kind, seed-format, plain,
Markdown and JSONL), read by `qa.ingest`, chunked by `qa.chunk` and cited by `qa.cite`,
and checked against the document as generated, never against what ingest reports:

* every piece of every chunk is the exact text of the source line and column it names;
* every citation quotes the exact source lines, and its quote holds the cited span
  at its offsets.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from qa.chunk import chunk_articles
from qa.cite import cite
from qa.ingest import read_articles
from qa.types import Chunk

WORDS = [
    "The",
    "vote",
    "was",
    "141",
    "to",
    "5,",
    "Mr.",
    "U.S.",
    "e.g.",
    "Café",
    "naïve",
    "Zürich",
    "日本語の記事。",
    "中文，",
    "Привет.",
    "مرحبا",
    "שלום",
    "🙂",
    "👍🏽",
    "e\u0301",
    "\u00a0",
    "\t",
    "—",
    "“quoted.”",
    "(no)",
    "?",
    "!",
    "3.5",
    "Kyiv",
    "said",
    "it",
    "ended.",
]
# any unicode but surrogates, line breaks, NUL (a binary file) and U+FEFF (a BOM when first)
CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00\ufeff")
LINE = st.one_of(
    st.lists(st.sampled_from(WORDS), max_size=25).map(" ".join),
    st.text(CHARS, max_size=60),
    st.just(""),
)
NEWLINE = st.sampled_from(["\n", "\r\n", "\r"])


def words(text: str) -> int:
    return len(text.split())


@st.composite
def documents(draw) -> tuple[str, list[str]]:
    """(file body, its physical lines): random lines joined by random line breaks."""
    lines = draw(st.lists(LINE, min_size=1, max_size=12))
    if draw(st.booleans()):  # seed format: date line + standfirst
        lines = [f" date 2024-05-0{draw(st.integers(1, 9))} " + lines[0], "- " + draw(LINE), *lines[1:]]
    crlf = draw(st.booleans())  # a whole CRLF file, or breaks mixed at random
    breaks = ["\r\n" if crlf else draw(NEWLINE) for _ in lines]
    for n in range(1, len(lines)):  # "\r" + "" + "\n..." would read as one CRLF: keep lines apart
        if breaks[n - 1] == "\r" and not lines[n] and breaks[n].startswith("\n"):
            breaks[n] = "\r"
    body = "".join(line + brk for line, brk in zip(lines, breaks))
    if draw(st.booleans()):
        body = body[: -len(breaks[-1])]  # no final newline
    return body, lines


def _encode(body: str, encoding: str) -> bytes:
    return {
        "utf-8": body.encode("utf-8"),
        "utf-8-sig": b"\xef\xbb\xbf" + body.encode("utf-8"),
        "utf-16": body.encode("utf-16"),
    }[encoding]


def _read(name: str, data: bytes) -> list:
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # empty files and bad records warn; checked elsewhere
        path = Path(tmp) / name
        path.write_bytes(data)
        return read_articles(path, Path(tmp))


def check_chunk_maps_to_source(chunk: Chunk, source_lines: list[str]) -> None:
    """Each piece is the source line's own characters at the column it names."""
    assert chunk.pieces
    for piece in chunk.pieces:
        physical = source_lines[piece.line - 1]
        assert piece.length > 0
        assert chunk.quotes[piece.line] == physical.rstrip()
        assert chunk.text[piece.start : piece.start + piece.length] == physical[piece.col : piece.col + piece.length]
    assert "\n".join(chunk.text[p.start : p.start + p.length] for p in chunk.pieces) == chunk.text


def check_citations(chunk: Chunk, source_lines: list[str], data) -> None:
    for _ in range(3):
        start = data.draw(st.integers(0, len(chunk.text) - 1), label="start")
        end = data.draw(st.integers(start + 1, len(chunk.text)), label="end")
        citation = cite(chunk, start, end)
        if chunk.text[start] == "\n":  # between two pieces: nothing to cite
            assert citation is None
            continue
        assert citation is not None
        quoted = [line.rstrip() for line in source_lines[citation.line - 1 : citation.end_line]]
        assert citation.quote == "\n".join(quoted)  # the exact source lines
        cited = citation.quote[citation.start : citation.end]
        assert cited and chunk.text[start:end].startswith(cited)  # the span, clipped at most at a line end
        first = source_lines[citation.line - 1]
        assert first[citation.start : citation.start + len(cited.split("\n")[0])] == cited.split("\n")[0]


@settings(max_examples=120, deadline=None)
@given(
    documents(),
    st.sampled_from([".txt", ".md"]),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
    st.integers(3, 40),
    st.integers(0, 20),
    st.data(),
)
def test_file_to_chunk_to_citation_is_exact(document, suffix, encoding, max_tokens, overlap, data) -> None:
    body, lines = document
    articles = _read("doc" + suffix, _encode(body, encoding))
    assert bool(articles) == any(line.strip() for line in lines) or lines[0].startswith(" date")
    for chunk in chunk_articles(articles, words, max_tokens, min(overlap, max_tokens - 1)):
        check_chunk_maps_to_source(chunk, lines)
        check_citations(chunk, lines, data)


@settings(max_examples=60, deadline=None)
@given(st.lists(documents(), min_size=1, max_size=4), NEWLINE, st.integers(3, 40), st.data())
def test_jsonl_text_with_any_line_breaks_is_cited_exactly(docs, record_break, max_tokens, data) -> None:
    records = [{"id": n, "title": f"Story {n}", "text": body} for n, (body, _) in enumerate(docs)]
    body = record_break.join(json.dumps(r, ensure_ascii=data.draw(st.booleans(), label="ascii")) for r in records)
    articles = _read("doc.jsonl", body.encode("utf-8"))
    by_id = {f"doc.jsonl#{n}": lines for n, (_, lines) in enumerate(docs)}
    assert {a.source for a in articles} == {s for s, lines in by_id.items() if any(x.strip() for x in lines)}
    for chunk in chunk_articles(articles, words, max_tokens, max_tokens // 3):
        check_chunk_maps_to_source(chunk, by_id[chunk.source])
        check_citations(chunk, by_id[chunk.source], data)
