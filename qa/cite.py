"""Mapping an answer span in a chunk back to the exact source line it was copied from."""

from __future__ import annotations

from qa.types import Chunk, Citation


def cite(chunk: Chunk, start: int, end: int) -> Citation | None:
    """The citation of the span ``chunk.text[start:end]``.

    A span is clipped to the source line it starts in: chunk text joins lines with "\\n",
    and an answer that runs across a paragraph break is the reader overreaching. The
    result satisfies ``citation.quote[citation.start:citation.end] == clipped span``.
    """
    for piece in chunk.pieces:
        if piece.start <= start < piece.start + piece.length:
            stop = min(end, piece.start + piece.length)
            col_start = piece.col + (start - piece.start)
            col_end = piece.col + (stop - piece.start)
            quote = chunk.quotes[piece.line]
            return Citation(chunk.source, piece.line, piece.line, quote, col_start, col_end, chunk.title, chunk.date)
    return None


def merge_citations(citations: list[Citation]) -> list[Citation]:
    """One citation per source line, first (best-scored) first.

    Overlapping chunks hold the same line, and the reader may find the answer in each
    with slightly different edges ("141 to 5" / "141 to 5,"): the line is cited once.
    """
    seen: set[tuple[str, int, int]] = set()
    merged = []
    for c in citations:
        key = (c.source, c.line, c.end_line)
        if key not in seen:
            seen.add(key)
            merged.append(c)
    return merged
