"""Sentence-aware, overlapping chunks that remember exactly where their text came from.

Retrieval works on passages, but answers must be cited by file line and column. So a
chunk is built from whole sentences (a reader never sees half a sentence at a chunk
edge, and an answer never straddles a cut), its text is copied verbatim from the
source lines, and each per-line slice is recorded as a `Piece` that maps chunk offsets
back to ``line.raw`` offsets.

A "sentence" normally lives inside one line (seed files and most corpora put one
paragraph per line). Hard-wrapped text (e.g. Reuters wire copy) breaks sentences across
physical lines; when a line lacks sentence-final punctuation and the very next physical
line starts in lower case, the two are read as one flow of prose, so such a sentence is
kept whole too. It is then simply a sentence with one slice per line it touches.

Chunks have a hard size bound: a sentence longer than the chunk budget (a 1 MB line
without full stops, a table) is cut into pieces that fit, at whitespace where possible,
so no passage can make retrieval or reading slow.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from qa.types import Article, Chunk, Line, Piece

TokenCounter = Callable[[str], int]

# Sentence-final punctuation, optional closing quotes/brackets, then whitespace.
_BOUNDARY = re.compile(r"([.?!…]+)([\"'”’)\]]*)(\s+)")
_OPENERS = "\"'“‘(["
_LINE_END = re.compile(r"[.?!…][\"'”’)\]]*$")
# Words whose trailing period is (almost) never the end of a sentence.
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof st sr jr gen sen rep gov lt col capt sgt rev hon messrs
    no nos vs etc e.g i.e cf approx jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)
# Initials and dotted acronyms: "J.", "U.S.", "U.N.", "e.g.".
_DOTTED = re.compile(r"(?:[A-Za-z]\.)+")
_LONGEST_ABBREVIATION = 64  # characters looked back for the word a period ends
# A WordPiece tokenizer reads a word of over 100 characters as one [UNK] token, so a
# token count alone does not bound a passage's length: every 16 characters count as at
# least one token (prose runs at 4-6 characters a token, so only runaway text is affected).
MAX_CHARS_PER_TOKEN = 16
_WHITESPACE = re.compile(r"\s+")


# ---------------------------------------------------------------------- sentences


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the sentences of one line of prose.

    A boundary is sentence-final punctuation (plus closing quotes/brackets) followed by
    whitespace and something that can start a sentence (upper-case letter, digit,
    opening quote or bracket). Abbreviations, initials and dotted acronyms do not end a
    sentence; decimals never match because no whitespace follows their point. The
    spans cover all non-whitespace text in order, leaving only the whitespace between
    sentences (and around the text) uncovered.
    """
    start = len(text) - len(text.lstrip())
    stop = len(text.rstrip())
    if start >= stop:
        return []
    spans: list[tuple[int, int]] = []
    for match in _BOUNDARY.finditer(text, start, stop):
        if match.end() >= stop or not _starts_sentence(text[match.end()]):
            continue
        if _is_abbreviation(text, match):
            continue
        spans.append((start, match.end(2)))
        start = match.end()
    spans.append((start, stop))
    return spans


def _starts_sentence(char: str) -> bool:
    return char.isupper() or char.isdigit() or char in _OPENERS


def _is_abbreviation(text: str, match: re.Match[str]) -> bool:
    """True when the single period of `match` belongs to an abbreviation/initial."""
    if match.group(1) != "." or match.group(2):
        return False
    # only the last few dozen characters: slicing from 0 made a long line quadratic
    before = text[max(0, match.end(1) - _LONGEST_ABBREVIATION) : match.end(1)]
    word = before.rsplit(None, 1)[-1].lstrip(_OPENERS)
    return word[:-1].lower() in _ABBREVIATIONS or _DOTTED.fullmatch(word) is not None


# --------------------------------------------------------------------- chunking


@dataclass(frozen=True)
class _Sentence:
    """One sentence (or piece of an over-long one) of an article: its per-line slices
    and its share of the chunk budget (`_size`, plus any long whitespace before it)."""

    segments: tuple[tuple[int, int, int], ...]  # (index into article.lines, raw start, raw end)
    tokens: int


def chunk_article(
    article: Article,
    count_tokens: TokenCounter,
    max_tokens: int = 128,
    overlap_tokens: int = 32,
) -> list[Chunk]:
    """Pack the article's sentences into chunks of at most `max_tokens` tokens.

    A sentence longer than `max_tokens` (or than `max_tokens` * `MAX_CHARS_PER_TOKEN`
    characters) is cut into pieces that fit, at whitespace where possible, else anywhere,
    and each piece is packed like a sentence: a chunk never exceeds the budget, however
    long a line is.
    Each chunk after the first starts with whole trailing sentences of the previous one
    totalling at most `overlap_tokens`, so a fact near a chunk edge is seen in context
    by at least one chunk; the overlap is shrunk whenever keeping it would stop the
    next chunk from taking in at least one new sentence, which guarantees progress and
    that no chunk repeats (or is contained in) its predecessor.
    """
    _check_sizes(max_tokens, overlap_tokens)
    sentences = _article_sentences(article, count_tokens, max_tokens)
    return [
        _build_chunk(article, sentences[first:last]) for first, last in _pack(sentences, max_tokens, overlap_tokens)
    ]


def chunk_articles(
    articles: Iterable[Article],
    count_tokens: TokenCounter,
    max_tokens: int = 128,
    overlap_tokens: int = 32,
) -> list[Chunk]:
    """All chunks of all articles, in article order."""
    _check_sizes(max_tokens, overlap_tokens)
    return [chunk for article in articles for chunk in chunk_article(article, count_tokens, max_tokens, overlap_tokens)]


def _check_sizes(max_tokens: int, overlap_tokens: int) -> None:
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    if not 0 <= overlap_tokens < max_tokens:
        raise ValueError(f"overlap_tokens must be in [0, max_tokens) = [0, {max_tokens}), got {overlap_tokens}")


def _pack(sentences: list[_Sentence], max_tokens: int, overlap_tokens: int) -> list[tuple[int, int]]:
    """Half-open sentence ranges of the chunks (see `chunk_article`)."""
    ranges: list[tuple[int, int]] = []
    first = 0
    while first < len(sentences):
        last, total = first + 1, sentences[first].tokens
        while last < len(sentences) and total + sentences[last].tokens <= max_tokens:
            total += sentences[last].tokens
            last += 1
        ranges.append((first, last))
        if last == len(sentences):
            break
        first = _overlap_start(sentences, first, last, max_tokens, overlap_tokens)
    return ranges


def _overlap_start(sentences: list[_Sentence], first: int, last: int, max_tokens: int, overlap_tokens: int) -> int:
    """Where the chunk after ``[first, last)`` starts: reuse trailing sentences that fit
    the overlap budget *and* leave room for sentence `last`, but never all of them."""
    budget = min(overlap_tokens, max_tokens - sentences[last].tokens)
    start, used = last, 0
    while start - 1 > first and used + sentences[start - 1].tokens <= budget:
        used += sentences[start - 1].tokens
        start -= 1
    return start


def _article_sentences(article: Article, count_tokens: TokenCounter, max_tokens: int) -> list[_Sentence]:
    sentences: list[_Sentence] = []
    for flow in _flows(article.lines):
        sentences.extend(_flow_sentences(article.lines, flow, count_tokens, max_tokens))
    return sentences


def _flows(lines: tuple[Line, ...]) -> list[list[int]]:
    """Group line indices into runs of prose that a sentence may continue across."""
    flows: list[list[int]] = []
    for index, line in enumerate(lines):
        if flows and _continues(lines[index - 1], line):
            flows[-1].append(index)
        elif line.text.strip():
            flows.append([index])
    return flows


def _continues(previous: Line, line: Line) -> bool:
    return line.number == previous.number + 1 and continues_prose(previous.text, line.text)


def continues_prose(previous: str, line: str) -> bool:
    """A hard-wrapped sentence: the previous physical line stops mid-sentence and the
    next one carries on in lower case (an indented line starts a new paragraph).

    The one definition of "the same sentence goes on on the next line": chunking keeps
    such sentences whole and citation lets an answer run across the break.
    """
    return bool(previous.strip()) and not _LINE_END.search(previous.rstrip()) and line[:1].islower()


def _flow_sentences(
    lines: tuple[Line, ...], flow: list[int], count_tokens: TokenCounter, max_tokens: int
) -> list[_Sentence]:
    """Split a flow (lines joined by single spaces) and map spans back to raw lines."""
    offsets: list[int] = []
    pos = 0
    for index in flow:
        offsets.append(pos)
        pos += len(lines[index].text) + 1
    text = " ".join(lines[index].text for index in flow)
    sentences = []
    previous = None
    for start, end in split_sentences(text):
        for lo, hi, tokens in _fitting_spans(text, start, end, count_tokens, max_tokens):
            # a run of whitespace before it lands in the chunk too: a long one must count
            gap = 0 if previous is None else (lo - previous) // MAX_CHARS_PER_TOKEN
            sentences.append(_Sentence(_segments(lines, flow, offsets, lo, hi), tokens + gap))
            previous = hi
    return sentences


def _segments(
    lines: tuple[Line, ...], flow: list[int], offsets: list[int], start: int, end: int
) -> tuple[tuple[int, int, int], ...]:
    """The per-line raw slices of flow text ``[start, end)``."""
    segments = []
    for index, offset in zip(flow, offsets):
        line = lines[index]
        lo, hi = max(start, offset), min(end, offset + len(line.text))
        if lo < hi:
            segments.append((index, line.col + lo - offset, line.col + hi - offset))
    return tuple(segments)


def _size(text: str, count_tokens: TokenCounter) -> int:
    """Tokens `text` takes from a chunk's budget (see `MAX_CHARS_PER_TOKEN`)."""
    return max(count_tokens(text), -(-len(text) // MAX_CHARS_PER_TOKEN))


def _fitting_spans(
    text: str, start: int, end: int, count_tokens: TokenCounter, max_tokens: int
) -> list[tuple[int, int, int]]:
    """``(start, end, tokens)`` of the sentence ``text[start:end]``, cut into pieces of
    at most `max_tokens` if it is longer.

    Tokens are only ever counted on windows of at most `max_tokens` *
    `MAX_CHARS_PER_TOKEN` characters, so a 1 MB line costs time linear in its length.
    """
    max_chars = max_tokens * MAX_CHARS_PER_TOKEN
    spans: list[tuple[int, int, int]] = []
    guess = max_chars // 4  # where the first cut is looked for; then the last piece's length
    while start < end:
        if end - start <= max_chars:
            tokens = _size(text[start:end], count_tokens)
            if tokens <= max_tokens:
                spans.append((start, end, tokens))
                break
        stop, tokens = _longest_fit(text, start, min(end, start + max_chars), count_tokens, max_tokens, guess)
        spans.append((start, stop, tokens))
        guess = stop - start
        space = _WHITESPACE.match(text, stop, end)
        start = space.end() if space else stop
    return spans


def _longest_fit(
    text: str, start: int, limit: int, count_tokens: TokenCounter, max_tokens: int, guess: int
) -> tuple[int, int]:
    """``(stop, tokens)`` of the longest piece ``text[start:stop]`` (``stop <= limit``)
    that fits `max_tokens`: ending before whitespace if any such piece fits, else cut
    between any two characters (a word longer than the budget)."""
    window = text[start : limit + 1]  # one character more: whitespace there is a cut too
    cuts = [start + m.start() for m in _WHITESPACE.finditer(window) if m.start() > 0]
    found = _last_fitting(text, start, cuts, count_tokens, max_tokens, guess)
    if found is None:
        found = _last_fitting(text, start, list(range(start + 1, limit + 1)), count_tokens, max_tokens, guess)
    return found or (start + 1, _size(text[start : start + 1], count_tokens))


def _last_fitting(
    text: str, start: int, cuts: list[int], count_tokens: TokenCounter, max_tokens: int, guess: int
) -> tuple[int, int] | None:
    """The last of the ascending `cuts` whose piece fits, by galloping from the cut
    nearest ``start + guess`` then bisecting; only a cut that was measured is returned."""
    best: tuple[int, int] | None = None
    lo, hi = -1, len(cuts)  # cuts[lo] fits (or lo == -1), cuts[hi] does not (or hi == len)
    probe = min(max(bisect.bisect_left(cuts, start + guess), 0), len(cuts) - 1)
    step = 1
    while lo + 1 < hi:
        tokens = _size(text[start : cuts[probe]], count_tokens)
        if tokens <= max_tokens:
            lo, best = probe, (cuts[probe], tokens)
            probe = probe + step if probe + step < hi else (lo + hi) // 2
        else:
            hi = probe
            probe = probe - step if probe - step > lo else (lo + hi) // 2
        step *= 2
        if not lo < probe < hi:
            probe = (lo + hi) // 2
    return best


def _build_chunk(article: Article, sentences: list[_Sentence]) -> Chunk:
    """Per touched line, the verbatim slice covering the chunk's sentences, joined by \\n."""
    spans: dict[int, list[int]] = {}
    for sentence in sentences:
        for index, start, end in sentence.segments:
            if index in spans:
                spans[index][1] = end
            else:
                spans[index] = [start, end]
    parts: list[str] = []
    pieces: list[Piece] = []
    offset = 0
    for index, (start, end) in spans.items():
        line = article.lines[index]
        parts.append(line.raw[start:end])
        pieces.append(Piece(start=offset, length=end - start, line=line.number, col=start))
        offset += end - start + 1
    return Chunk(
        source=article.source,
        title=article.title,
        date=article.date,
        text="\n".join(parts),
        pieces=tuple(pieces),
        quotes={article.lines[index].number: article.lines[index].raw for index in spans},
    )
