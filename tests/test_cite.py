"""Citations point at the exact characters of the source line (property-tested)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qa.chunk import continues_prose
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
    cited = citation.quote[citation.start : citation.end]
    assert citation.quote == "\n".join(lines[citation.line - 1 : citation.end_line])
    assert chunk.text[start:end].startswith(cited)  # the span, clipped at most
    assert cited.count("\n") == citation.end_line - citation.line
    for line in range(citation.line, citation.end_line):  # it only runs on where prose does
        assert continues_prose(lines[line - 1], lines[line])
    if citation.end_line == citation.line:
        assert cited == chunk.text[start:end].split("\n")[0]


def test_real_seed_chunks_map_back_to_file_lines(seed_index, seed_corpus):
    file_lines = (seed_corpus / "000_40ab86d132b0175c.txt").read_text(encoding="utf-8").split("\n")
    for chunk in seed_index.chunks:
        for piece in chunk.pieces:
            span = chunk.text[piece.start : piece.start + piece.length]
            citation = cite(chunk, piece.start, piece.start + piece.length)
            assert citation.quote == file_lines[piece.line - 1].rstrip()
            assert citation.quote[citation.start : citation.end] == span


def test_answer_runs_on_across_a_hard_wrapped_line():
    chunk = _chunk_from_lines(["Washington threatened tariffs of up to 300 mln", "dlrs on Japanese goods."])
    start = chunk.text.index("300")
    citation = cite(chunk, start, chunk.text.index(" on Japanese"))
    assert (citation.line, citation.end_line) == (1, 2)
    assert citation.quote[citation.start : citation.end] == "300 mln\ndlrs"


def test_answer_never_runs_on_across_a_paragraph():
    """Paragraph-per-line text: a line ending a sentence, or a next line in upper case, stops the span."""
    for lines in (
        ["The vote was 141 to 5.", "then it adjourned."],
        ["Headline without a full stop", "The vote was 141 to 5."],
    ):
        chunk = _chunk_from_lines(lines)
        citation = cite(chunk, 0, len(chunk.text))
        assert (citation.line, citation.end_line) == (1, 1)
        assert citation.quote == lines[0]


def test_merge_drops_repeats_keeps_order():
    chunk = _chunk_from_lines(["alpha beta", "gamma"])
    a, b = cite(chunk, 0, 5), cite(chunk, 11, 16)
    assert merge_citations([a, b, a]) == [a, b]
