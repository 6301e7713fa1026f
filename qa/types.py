"""Plain data records passed between the pipeline stages.

Data flows one way: ingest -> chunk -> store (embed + index) -> retrieve -> read -> cite.
Every record keeps enough provenance (source, line, column) that an answer span can
always be traced back to the exact characters of the file it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date

from qa.errors import NewsQAError


@dataclass(frozen=True)
class Line:
    """One readable line of an article, as found in its source file.

    `raw` is the whole physical line (what a citation quotes); `text` is the part of it
    that is article prose (e.g. the headline without the ` date YYYY-MM-DD ` prefix),
    starting at column `col` of `raw`, so ``raw[col:col + len(text)] == text``.
    """

    number: int  # 1-based line number in the file (for .jsonl: in the article's text)
    raw: str
    text: str
    col: int = 0


@dataclass(frozen=True)
class Article:
    """A story: its lines plus the metadata a reader of the news needs to trust it."""

    source: str  # path relative to the corpus root; "file.jsonl#<id>" for JSONL articles
    title: str
    date: str | None
    lines: tuple[Line, ...]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass(frozen=True)
class Piece:
    """A run of chunk text copied verbatim from one source line.

    ``chunk.text[start:start + length] == line.raw[col:col + length]``.
    """

    start: int  # offset in the chunk text
    length: int
    line: int  # 1-based line number
    col: int  # offset in the raw line


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: whole sentences from one article, with their provenance."""

    source: str
    title: str
    date: str | None
    text: str  # the passage the reader sees: pieces joined by "\n"
    pieces: tuple[Piece, ...]
    quotes: dict[int, str] = field(default_factory=dict, compare=False)  # line -> raw line

    @property
    def search_text(self) -> str:
        """What retrieval matches against: headline and date are searchable too."""
        head = " ".join(part for part in (self.title, self.date or "") if part)
        return f"{head}\n{self.text}" if head else self.text

    def to_dict(self) -> dict:
        data = asdict(self)
        data["quotes"] = {str(k): v for k, v in self.quotes.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Chunk:
        return cls(
            source=data["source"],
            title=data["title"],
            date=data.get("date"),
            text=data["text"],
            pieces=tuple(Piece(**p) for p in data["pieces"]),
            quotes={int(k): v for k, v in data.get("quotes", {}).items()},
        )


@dataclass(frozen=True)
class Citation:
    """Where an answer span lives: ``quote[start:end]`` is the answer text.

    `quote` is the full source line, or the lines joined by "\\n" when the span runs on
    across hard-wrapped lines (`end_line` > `line`; the answer text reads each of those
    line breaks as a space).
    """

    source: str
    line: int
    end_line: int
    quote: str
    start: int
    end: int
    title: str = ""
    date: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        lines = f"{self.line}" if self.line == self.end_line else f"{self.line}-{self.end_line}"
        return f"{self.source}:{lines}"


class FilterError(NewsQAError, ValueError):
    """A filter that cannot be applied (a bad date, since after until); the message says which."""


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _as_date(name: str, value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if _ISO_DATE.fullmatch(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
    raise FilterError(f"{name} must be a date written YYYY-MM-DD, not {value!r}")


def article_date(value: str | None) -> date | None:
    """An article's date as a `date`; None when undated or not written YYYY-MM-DD."""
    if value is None or not _ISO_DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def source_matches(source: str, pattern: str) -> bool:
    """Whether citation label `source` falls under `pattern`: the same label, a prefix
    ending at '/' or '#' ("uploads/", "bbc.jsonl#business/"), or a file's name for the
    articles inside it ("bbc.jsonl" for "bbc.jsonl#business/001")."""
    if source == pattern:
        return True
    if pattern.endswith(("/", "#")):
        return source.startswith(pattern)
    return source.split("#", 1)[0] == pattern


@dataclass(frozen=True)
class Filter:
    """Which articles retrieval may search: dated `since`..`until` (inclusive; either
    open) and from `sources` (patterns as `source_matches` reads them; empty: any).

    A date bound excludes undated articles (they cannot be placed in the range). Built
    from loose input with `Filter.of`, which validates; `to_dict`/`from_dict` round-trip.
    """

    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "since", _as_date("since", self.since))
        object.__setattr__(self, "until", _as_date("until", self.until))
        if isinstance(self.sources, str):
            raise FilterError("sources must be a list of source patterns, not one string")
        patterns = tuple(self.sources)
        if any(not isinstance(p, str) or not p.strip() for p in patterns):
            raise FilterError("each source pattern must be a non-empty string")
        object.__setattr__(self, "sources", tuple(dict.fromkeys(p.strip() for p in patterns)))
        if self.since and self.until and self.since > self.until:
            raise FilterError(f"since ({self.since}) is after until ({self.until})")

    @classmethod
    def of(
        cls,
        since: date | str | None = None,
        until: date | str | None = None,
        sources: Iterable[str] | str | None = None,
    ) -> Filter:
        """A validated filter from API/CLI input (dates as `date` or "YYYY-MM-DD"; one
        source pattern or several)."""
        patterns = (sources,) if isinstance(sources, str) else tuple(sources or ())
        return cls(since, until, patterns)  # type: ignore[arg-type]

    @property
    def dated(self) -> bool:
        return self.since is not None or self.until is not None

    def __bool__(self) -> bool:
        return self.dated or bool(self.sources)

    def allows_source(self, source: str) -> bool:
        return not self.sources or any(source_matches(source, p) for p in self.sources)

    def allows_date(self, value: str | None) -> bool:
        if not self.dated:
            return True
        day = article_date(value)
        if day is None:
            return False
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)

    def allows(self, chunk: Chunk) -> bool:
        return self.allows_source(chunk.source) and self.allows_date(chunk.date)

    def describe(self) -> str:
        """``2022-03-02``, ``2022-03-01 to 2022-03-05``, ``from 2022-03-01``, ``until ...``,
        then ``; sources: a, b``; "" for no filter."""
        if self.since and self.since == self.until:
            when = self.since.isoformat()
        elif self.since and self.until:
            when = f"{self.since} to {self.until}"
        elif self.since:
            when = f"from {self.since}"
        elif self.until:
            when = f"until {self.until}"
        else:
            when = ""
        where = f"sources: {', '.join(self.sources)}" if self.sources else ""
        return "; ".join(part for part in (when, where) if part)

    def to_dict(self) -> dict:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "sources": list(self.sources),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Filter:
        return cls.of(data.get("since"), data.get("until"), data.get("sources"))


@dataclass(frozen=True)
class Hit:
    """A chunk returned by retrieval with its fused rank score."""

    chunk: Chunk
    score: float
    chunk_id: int


# A span scoring below even odds is one the reader rated less likely than "no answer": still
# shown when it clears the threshold, but flagged so the reader of the reply checks the line.
UNSURE_BELOW = 0.5


@dataclass(frozen=True)
class EarlierReport:
    """An answer an older (or undated) article gives that a newer one contradicts.

    Shown beside the answer rather than dropped: the reader was about as sure of it, and
    the journalist decides which report holds.
    """

    text: str
    score: float
    date: str | None
    citation: Citation
    confidence: float | None = None  # calibrated, as `Answer.confidence`

    @property
    def shown_confidence(self) -> float:
        return self.score if self.confidence is None else self.confidence

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "score": round(float(self.score), 4),
            "confidence": round(float(self.shown_confidence), 4),
            "date": self.date,
            "citation": self.citation.to_dict(),
        }


@dataclass
class Answer:
    """What the assistant says, with everything needed to check it."""

    question: str
    text: str
    score: float  # the reader's: the odds of the span against "no answer"; the threshold applies to it
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    passages: list[Hit] = field(default_factory=list)
    resolved_question: str = ""  # the retrieval query after folding in chat history
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    # sources retrieval was limited to (a follow-up kept to the previous answer's
    # articles); empty: the whole corpus
    searched_in: list[str] = field(default_factory=list)
    search_note: str = ""  # why retrieval searched where it did, for the "Searched for" line
    earlier_reports: list[EarlierReport] = field(default_factory=list)  # older articles that disagree
    # the filter retrieval applied (the caller's, or a date the question names); None: none
    filter: Filter | None = None
    # the calibrated chance the answer is right (`qa.calibrate`); the score where the
    # reader has no calibration. What a person is shown.
    confidence: float | None = None
    missing_terms: list[str] = field(default_factory=list)  # question key terms the answer's article lacks
    missing_share: float = 0.0  # their share of the question's key terms
    cached: bool = False  # the answer given to the same question moments ago (`Settings.answer_cache`)

    @property
    def shown_confidence(self) -> float:
        """The confidence to show: calibrated when the reader has a calibration, else the score."""
        return self.score if self.confidence is None else self.confidence

    @property
    def unsure(self) -> bool:
        """Answered, but more likely wrong than right: the calibrated confidence (or,
        without a calibration, the reader's odds against "no answer") is under even."""
        return not self.abstained and self.shown_confidence < UNSURE_BELOW

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "resolved_question": self.resolved_question or self.question,
            "text": self.text,
            "score": round(float(self.score), 4),
            "confidence": round(float(self.shown_confidence), 4),
            "missing_terms": list(self.missing_terms),
            "abstained": self.abstained,
            "unsure": self.unsure,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [
                {
                    "source": h.chunk.source,
                    "title": h.chunk.title,
                    "date": h.chunk.date,
                    "lines": [h.chunk.pieces[0].line, h.chunk.pieces[-1].line],
                    "text": h.chunk.text,
                    "score": round(float(h.score), 4),
                }
                for h in self.passages
            ],
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "cached": self.cached,
            "searched_in": list(self.searched_in),
            "search_note": self.search_note,
            "earlier_reports": [r.to_dict() for r in self.earlier_reports],
            "filter": self.filter.to_dict() if self.filter else None,
        }
