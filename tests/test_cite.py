"""Citations point at the exact characters of the source line (property-tested)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qa.cite import cite, merge_citations
from qa.types import Chunk, Piece


def _chunk_from_lines(lines: list[str]) -> Chunk:
    pieces, text, quotes = [], "", {}
    for number, raw in enumerate(lines, start=1):
        col = len(raw) - len(raw.lstrip())
        body = raw[col:]
        if not body:
            continue
        if text:
            text += "\n"
        pieces.append(Piece(len(text), len(body), number, col))
        quotes[number] = raw
        text += body
    return Chunk("f.txt", "t", None, text, tuple(pieces), quotes)


lines_strategy = st.lists(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), min_size=1, max_size=60),
    min_size=1,
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(lines=lines_strategy, data=st.data())
def test_citation_quote_holds_the_span(lines, data):
    chunk = _chunk_from_lines(lines)
    if not chunk.text:
        return
    start = data.draw(st.integers(0, len(chunk.text) - 1))
    end = data.draw(st.integers(start + 1, len(chunk.text)))
    citation = cite(chunk, start, end)
    if chunk.text[start] == "\n":  # between lines: nothing to cite
        assert citation is None
        return
    answer = chunk.text[start:end].split("\n")[0]
    assert citation.quote == lines[citation.line - 1]
    assert citation.quote[citation.start : citation.end] == answer
    assert answer in citation.quote


def test_real_seed_chunks_map_back_to_file_lines(seed_index, seed_corpus):
    file_lines = (seed_corpus / "000_40ab86d132b0175c.txt").read_text(encoding="utf-8").split("\n")
    for chunk in seed_index.chunks:
        for piece in chunk.pieces:
            span = chunk.text[piece.start : piece.start + piece.length]
            citation = cite(chunk, piece.start, piece.start + piece.length)
            assert citation.quote == file_lines[piece.line - 1].rstrip()
            assert citation.quote[citation.start : citation.end] == span


def test_merge_drops_repeats_keeps_order():
    chunk = _chunk_from_lines(["alpha beta", "gamma"])
    a, b = cite(chunk, 0, 5), cite(chunk, 11, 16)
    assert merge_citations([a, b, a]) == [a, b]
