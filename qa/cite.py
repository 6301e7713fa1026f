"""Mapping an answer span in a chunk back to the exact source line it was copied from."""

from __future__ import annotations

from qa.chunk import continues_prose
from qa.types import Chunk, Citation, Piece


def cite(chunk: Chunk, start: int, end: int) -> Citation | None:
    """The citation of the span ``chunk.text[start:end]``.

    Chunk text joins lines with "\\n". A span may run on across a line break only where
    hard-wrapped prose carries one sentence over to the next line
    (`qa.chunk.continues_prose`: "up to 300 mln" / "dlrs in tariffs"); anywhere else it is
    clipped to the line it starts in, as an answer running across a paragraph break is
    the reader overreaching. The quote is then the lines joined by "\\n", and
    ``citation.quote[citation.start:citation.end]`` is the (clipped) span with each line
    break as the source has it.
    """
    pieces = chunk.pieces
    for at, piece in enumerate(pieces):
        if piece.start <= start < piece.start + piece.length:
            last = at
            while end > _piece_end(pieces[last]) and last + 1 < len(pieces):
                if not _runs_on(chunk, pieces[last], pieces[last + 1]):
                    break
                last += 1
            quotes = [chunk.quotes[p.line] for p in pieces[at : last + 1]]
            tail = pieces[last]
            stop = min(end, _piece_end(tail))
            col_start = piece.col + (start - piece.start)
            col_end = sum(len(q) + 1 for q in quotes[:-1]) + tail.col + (stop - tail.start)
            return Citation(
                chunk.source, piece.line, tail.line, "\n".join(quotes), col_start, col_end, chunk.title, chunk.date
            )
    return None


def _piece_end(piece: Piece) -> int:
    return piece.start + piece.length


def _runs_on(chunk: Chunk, piece: Piece, after: Piece) -> bool:
    """Whether `piece` ends its line mid-sentence and `after`, the chunk's next piece, carries the sentence on."""
    quote, next_quote = chunk.quotes[piece.line], chunk.quotes[after.line]
    return (
        after.line == piece.line + 1
        and after.start == _piece_end(piece) + 1
        and piece.col + piece.length == len(quote.rstrip())
        and after.col == 0
        and continues_prose(quote, next_quote)
    )


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
