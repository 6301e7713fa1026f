"""The assistant: one object that owns an index and a reader and answers questions.

`answer()` runs the pipeline end to end: resolve follow-ups -> retrieve passages ->
read spans (each passage after its article's headline) -> prefer article text over
headlines -> merge identical answers -> cite source lines -> abstain below the threshold.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from qa.cite import cite, merge_citations
from qa.config import MAX_QUESTION_CHARS, Settings, check_threshold, check_top_k
from qa.errors import NewsQAError
from qa.followup import resolve, user_turns
from qa.reader import Reader, Span
from qa.retrieve import retrieve
from qa.store import CorpusIndex, Progress, UpdateReport
from qa.types import UNSURE_BELOW, Answer, Chunk, Citation, Hit

NOT_FOUND = "I couldn't find that in the articles."
# Candidate spans kept from each passage: enough for its best answer and the variants
# that merge with it ("141 to 5" / "141 to 5,") to survive another passage's stronger ones.
SPANS_PER_PASSAGE = 3
# Terminal escape sequences pasted or piped in with a question: CSI ("\x1b[31m", or its
# one-byte form "\x9b31m"), OSC ("\x1b]0;title\x07") and the short ones ("\x1bc", "\x1b(B").
_ANSI_ESCAPE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -/]*[0-~]"
)


class QuestionError(NewsQAError, ValueError):
    """A question no reader should see (not text, empty, too long); the message says which."""


def _normalize(text: str) -> str:
    """Answer identity for merging: case, punctuation at the edges and spacing don't matter."""
    return re.sub(r"\s+", " ", text).strip(" \t\n.,;:!?\"'“”‘’()").lower()


def clean_text(text: str) -> str:
    """`text` without terminal escape sequences or control characters, its whitespace
    runs (tabs, newlines) collapsed to single spaces.

    Retrieval and the reader would otherwise see "[31mWhat" or a NUL as part of a word.
    """
    text = _ANSI_ESCAPE.sub("", text)
    text = "".join(
        (" " if char.isspace() else "") if unicodedata.category(char) == "Cc" else char for char in text
    )
    return " ".join(text.split())


def validate_question(question: object) -> str:
    """Reject input no reader should see; return the cleaned question (`clean_text`).

    The one gate for questions: the CLI calls it before loading models, and
    `Assistant.answer` (the API, the app's chat and its /ask route) calls it again.
    """
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    cleaned = clean_text(question)
    if not cleaned:
        raise QuestionError("the question is empty")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is {len(cleaned)} characters long; the limit is {MAX_QUESTION_CHARS}")
    return cleaned


def _opening_headline(chunk: Chunk) -> str:
    """The article headline `chunk` opens with (seed-format files cite headlines as lines), else ""."""
    title = chunk.title.strip()
    return title if title and chunk.text.startswith(title) else ""


def headline_context(chunk: Chunk) -> str:
    """The article's headline for the reader to read before `chunk`, unless the chunk opens with it.

    News stories name their subject once, in the headline and lede, then say "the vote",
    "the assembly"; a passage from further down needs the headline to be understood.
    """
    return "" if _opening_headline(chunk) else chunk.title.strip()


def in_headline(span: Span, chunk: Chunk) -> bool:
    """Whether `span` starts inside the headline that opens `chunk`."""
    return span.start < len(_opening_headline(chunk))


def prefer_body(spans: list[Span], hits: list[Hit]) -> list[Span]:
    """Drop headline spans when the reader finds an answer in article text.

    Headlines are telegraphic ("UNGA vote against Russia's campaign") and restate what the
    body says in full, so a body line is the better answer and the better citation. A
    body span "answers" when the reader rates it at least as likely as no answer (score
    >= UNSURE_BELOW, 0.5), a rule that needs no threshold; otherwise headline spans stay,
    since a related story's headline may be the only place a fact is given.
    """
    body = [s for s in spans if not in_headline(s, hits[s.passage].chunk)]
    return body if any(s.score >= UNSURE_BELOW for s in body) else spans


class Assistant:
    """Answers questions over an indexed corpus with line-level citations.

    It owns its models: the reader here, the embedder through its index. Nothing is
    loaded at construction; `warm_up()` loads everything (the app calls it in the
    background), and otherwise each model loads the first time an answer needs it. Either
    way every later `answer()` reuses them.
    """

    def __init__(self, index: CorpusIndex, settings: Settings | None = None, reader: Reader | None = None) -> None:
        self.index = index
        self.settings = settings or index.settings
        self.reader = reader if reader is not None else Reader.from_settings(self.settings)

    @classmethod
    def from_corpus(
        cls,
        corpus: str | Path | Sequence[str | Path] = "seeds",
        index_dir: str | Path | None = None,
        settings: Settings | None = None,
        reader: Reader | str | Path | None = None,
        progress: Progress | None = None,
        bar: bool = True,
        max_update_bytes: int | None = None,
    ) -> Assistant:
        """Open (load, update or build) the index of `corpus` and wrap it in an assistant.

        `max_update_bytes` bounds the indexing done here (see `CorpusIndex.open`).
        """
        roots = [Path(p) for p in ([corpus] if isinstance(corpus, (str, Path)) else corpus)]
        settings = (settings or Settings()).with_overrides(
            corpus_dir=roots[0], index_dir=Path(index_dir) if index_dir else None
        )
        if isinstance(reader, (str, Path)):
            settings = settings.with_overrides(reader_path=Path(reader))
            reader = None
        index, _ = CorpusIndex.open(
            settings.index_dir, roots, settings, progress=progress, bar=bar, max_update_bytes=max_update_bytes
        )
        return cls(index, settings, reader)

    def warm_up(self) -> None:
        """Load the reader, the embedder and the search structures now (idempotent), so the
        first answer is as fast as the rest."""
        warm_reader = getattr(self.reader, "warm_up", None)  # a stand-in reader may have nothing to load
        if warm_reader is not None:
            warm_reader()
        self.index.warm_up()

    def refresh(self, progress: Progress | None = None) -> UpdateReport:
        """Pick up files added, changed or removed in the corpus since the index was written."""
        return self.index.sync(progress=progress, bar=False)

    def articles(self) -> list[dict]:
        return self.index.articles()

    def context_lines(self, source: str, line: int, before: int = 2, after: int = 2) -> list[tuple[int, str]]:
        """Source lines around `line` (blank lines are skipped), for showing a citation in context."""
        lines = self.index.source_lines(source)
        numbers = sorted(lines)
        if line not in lines:
            return []
        at = numbers.index(line)
        return [(n, lines[n]) for n in numbers[max(0, at - before) : at + after + 1]]

    def answer(
        self,
        question: str,
        history: list | None = None,
        top_k: int | None = None,
        threshold: float | None = None,
    ) -> Answer:
        """Answer `question` from the articles, or abstain; never an uncited span."""
        question = validate_question(question)
        k = self.settings.top_k if top_k is None else check_top_k(top_k)
        floor = self.settings.threshold if threshold is None else check_threshold(threshold)
        history = [turn for turn in map(clean_text, user_turns(history)) if turn]
        started = time.perf_counter()
        query = resolve(question, history)
        hits = retrieve(self.index, query, k, self.settings.retrieval)
        retrieved = time.perf_counter()
        spans = (
            self.reader.read(
                question,
                [h.chunk.text for h in hits],
                top_n=SPANS_PER_PASSAGE,
                contexts=[headline_context(h.chunk) for h in hits],
                per_passage=True,
            )
            if hits
            else []
        )
        read = time.perf_counter()
        text, score, citations = self._best_answer(prefer_body(spans, hits), hits)
        abstained = not citations or score < floor
        return Answer(
            question=question,
            text=NOT_FOUND if abstained else text,
            score=score,
            abstained=abstained,
            citations=[] if abstained else citations,
            passages=hits,
            resolved_question=query,
            timings={"retrieve": retrieved - started, "read": read - retrieved, "total": time.perf_counter() - started},
        )

    def _best_answer(self, spans: list[Span], hits: list[Hit]) -> tuple[str, float, list[Citation]]:
        """Group spans saying the same thing; the best group wins and cites every line it was found on."""
        groups: dict[str, list[tuple[Span, Citation]]] = {}
        for span in spans:
            citation = cite(hits[span.passage].chunk, span.start, span.end)
            if citation is None:
                continue
            clipped = citation.quote[citation.start : citation.end]
            if not _normalize(clipped):
                continue
            groups.setdefault(_normalize(clipped), []).append((span, citation))
        if not groups:
            return "", 0.0, []
        best = max(groups.values(), key=lambda g: max(s.score for s, _ in g))
        top_span, top_citation = max(best, key=lambda pair: pair[0].score)
        citations = merge_citations([top_citation] + [c for _, c in best])
        # a span run on across hard-wrapped lines reads as one line of text
        return top_citation.quote[top_citation.start : top_citation.end].replace("\n", " "), top_span.score, citations


_default: Assistant | None = None


def default_assistant() -> Assistant:
    """The assistant `answer()` uses: over ./seeds with its index in ./index, built and
    warmed up on the first call, then kept for the life of the process."""
    global _default
    if _default is None:
        bot = Assistant.from_corpus("seeds", "index")
        bot.warm_up()
        _default = bot
    return _default


def answer(question: str, history: list | None = None, top_k: int | None = None) -> Answer:
    """Answer a question from the articles in ./seeds (the default assistant)."""
    return default_assistant().answer(question, history=history, top_k=top_k)
