"""The assistant: one object that owns an index and a reader and answers questions.

`answer()` runs the pipeline end to end: resolve follow-ups -> retrieve passages (a
follow-up within the previous answer's articles first) -> read spans (each passage after
its article's headline) -> prefer article text over headlines -> merge identical answers
-> prefer the newest dated report when articles disagree -> cite source lines -> abstain
below the threshold. A filter (`qa.types.Filter`: dates, sources) applies inside
retrieval; a question naming an absolute date a dated article carries is narrowed to it.
"""

from __future__ import annotations

import functools
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from qa.calibrate import Calibration, missing_terms
from qa.cite import cite, merge_citations
from qa.config import MAX_QUESTION_CHARS, Settings, check_threshold, check_top_k
from qa.errors import NewsQAError
from qa.followup import Turn, conversation, new_names, resolve
from qa.reader import Reader, Span
from qa.rerank import rerank
from qa.retrieve import retrieve
from qa.store import CorpusIndex, Progress, UpdateReport
from qa.stores import open_index
from qa.types import UNSURE_BELOW, Answer, Chunk, Citation, EarlierReport, Filter, FilterError, Hit, article_date

NOT_FOUND = "I couldn't find that in the articles."
# Candidate spans kept from each passage: enough for its best answer and the variants
# that merge with it ("141 to 5" / "141 to 5,") to survive another passage's stronger ones.
SPANS_PER_PASSAGE = 3
# Candidates "confident enough" to stand beside the best one when articles disagree:
# within this much of the best score (and at least even odds, and the threshold).
# The reader's scores are probabilities comparable across passages; two articles that
# each state a fact outright both score near 1 ("Viktor Yushchenko" 1.000, "Volodymyr
# Zelensky" 0.9999 over two such articles), while a span the reader merely finds
# plausible sits well below. A tenth is wide enough for the first, narrow enough that a
# weak span never displaces a sure answer, and needs no tuning on the test questions.
REPORT_MARGIN = 0.1
# How deep retrieval looks for a passage newer than all of the top k (k times this): two
# dated reports of one fact rarely share their wording, so the newer may rank well down.
NEWER_DEPTH = 4
# Earlier answers' sources remembered for follow-ups whose history is plain questions.
RECENT_ANSWERS = 64
# Terminal escape sequences pasted or piped in with a question: CSI ("\x1b[31m", or its
# one-byte form "\x9b31m"), OSC ("\x1b]0;title\x07") and the short ones ("\x1bc", "\x1b(B").
_ANSI_ESCAPE = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -/]*[0-~]")


class QuestionError(NewsQAError, ValueError):
    """A question no reader should see (not text, empty, too long); the message says which."""


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("January", "Jan"),
            ("February", "Feb"),
            ("March", "Mar"),
            ("April", "Apr"),
            ("May",),
            ("June", "Jun"),
            ("July", "Jul"),
            ("August", "Aug"),
            ("September", "Sept", "Sep"),
            ("October", "Oct"),
            ("November", "Nov"),
            ("December", "Dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))  # capitalised: "may" is a verb
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(\d{4})\b)?"
_NAMED_DATES = (  # (pattern, group of the month, of the day, of the year)
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), 2, 3, 1),
    (re.compile(rf"\b({_MONTH})\.?\s+{_DAY}\b{_YEAR}"), 1, 2, 3),
    (re.compile(rf"\b{_DAY}\s+(?:of\s+)?({_MONTH})\b\.?{_YEAR}"), 2, 1, 3),
)


def named_date(question: str, dates: Iterable[date]) -> date | None:
    """The absolute date `question` names ("on March 2, 2022", "2 March 2022",
    "2022-03-02", or "March 2" without a year), if one of `dates` (the corpus's article
    dates) is that day; else None.

    A month and day without a year resolve only when the corpus's dates on that month
    and day all fall in one year. Relative dates ("last Wednesday") are not read, and a
    question naming two different days is left alone.
    """
    known = set(dates)
    found: set[date] = set()
    for pattern, month_at, day_at, year_at in _NAMED_DATES:
        for match in pattern.finditer(question):
            month_text, day_text, year_text = match.group(month_at), match.group(day_at), match.group(year_at)
            month = int(month_text) if month_text.isdigit() else _MONTHS[month_text]
            day = int(day_text)
            if year_text:
                try:
                    found.add(date(int(year_text), month, day))
                except ValueError:
                    continue
            else:
                same_day = {d for d in known if (d.month, d.day) == (month, day)}
                if len({d.year for d in same_day}) == 1:
                    found |= same_day
    if len(found) != 1:
        return None
    (named,) = found
    return named if named in known else None


def without_dates(question: str) -> str:
    """`question` with the absolute dates it names (and an "on"/"of" before them) cut out:
    once a date is a filter, the reader looks for the answer, not for the date."""
    for pattern, *_ in _NAMED_DATES:
        question = re.sub(rf"(?:\b(?:on|of|from|for|dated)\s+)?(?:the\s+)?(?:{pattern.pattern})", "", question)
    question = re.sub(r"\s+([?.!,;:])", r"\1", question)
    return " ".join(question.split())


def make_filter(
    filter: Filter | None = None,
    since: date | str | None = None,
    until: date | str | None = None,
    sources: Iterable[str] | str | None = None,
) -> Filter:
    """One `Filter` from the API's arguments: `filter=`, or `since=`/`until=`/`sources=`."""
    loose = since is not None or until is not None or sources is not None
    if filter is not None and loose:
        raise FilterError("give either filter= or since=/until=/sources=, not both")
    if filter is not None and not isinstance(filter, Filter):
        raise FilterError("filter must be a qa.types.Filter")
    return filter if filter is not None else Filter.of(since, until, sources)


def _normalize(text: str) -> str:
    """Answer identity for merging: case, punctuation at the edges and spacing don't matter."""
    return re.sub(r"\s+", " ", text).strip(" \t\n.,;:!?\"'“”‘’()").lower()


def clean_text(text: str) -> str:
    """`text` without terminal escape sequences or control characters, its whitespace
    runs (tabs, newlines) collapsed to single spaces.

    Retrieval and the reader would otherwise see "[31mWhat" or a NUL as part of a word.
    """
    text = _ANSI_ESCAPE.sub("", text)
    text = "".join((" " if char.isspace() else "") if unicodedata.category(char) == "Cc" else char for char in text)
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


@dataclass
class _Choice:
    """The chosen answer and the disagreeing earlier reports beside it."""

    text: str = ""
    score: float = 0.0
    citations: list[Citation] | None = None
    earlier: list[EarlierReport] | None = None


def _article(citation: Citation) -> tuple[str, str]:
    return citation.source, citation.title


def _agrees(a: str, b: str) -> bool:
    """Two normalised answers that say the same thing ("Zelensky" in "Volodymyr Zelensky")."""
    return a in b or b in a


def _sources_of(citations: Sequence[Citation]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c.source for c in citations))


def _previous(sources: Sequence[str]) -> str:
    """``the previous answer's source (a.txt)`` for the retrieval note."""
    return f"the previous answer's source{'s' if len(sources) > 1 else ''} ({', '.join(sources)})"


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
        self.reranker = self._make_reranker()
        # the reader's calibration (`qa.calibrate`), shipped beside its weights; None: confidence = score
        reader_dir = getattr(self.reader, "path", None)
        self.calibration = Calibration.load(Path(reader_dir)) if reader_dir else None
        # (question, *earlier questions) -> the sources its answer cited; see `_previous_sources`
        self._recent: OrderedDict[tuple[str, ...], tuple[str, ...]] = OrderedDict()
        self._recent_lock = threading.Lock()  # the app answers several questions at once
        # recent answers (`Settings.answer_cache`) and the questions being answered now
        self._cache: OrderedDict[tuple, Answer] = OrderedDict()
        self._running: dict[tuple, threading.Event] = {}
        self._cache_lock = threading.Lock()

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
        index, _ = open_index(
            settings.index_dir, roots, settings, progress=progress, bar=bar, max_update_bytes=max_update_bytes
        )
        return cls(index, settings, reader)

    def warm_up(self) -> None:
        """Load the reader, the embedder and the search structures now (idempotent), so the
        first answer is as fast as the rest."""
        for reader in (self.reader, self.reranker):
            warm_reader = getattr(reader, "warm_up", None)  # a stand-in reader may have nothing to load
            if warm_reader is not None:
                warm_reader()
        self.index.warm_up()

    def refresh(self, progress: Progress | None = None) -> UpdateReport:
        """Pick up files added, changed or removed in the corpus since the index was written."""
        report = self.index.sync(progress=progress, bar=False)
        with self._cache_lock:  # answers of the old generation can no longer be asked for
            self._cache.clear()
        return report

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
        *,
        filter: Filter | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
        sources: Iterable[str] | str | None = None,
    ) -> Answer:
        """Answer `question` from the articles, or abstain; never an uncited span.

        Only articles the filter allows are searched (`filter=`, or built from `since=`
        / `until=` ("YYYY-MM-DD", inclusive; undated articles are then left out) and
        `sources=` patterns: "a.txt", "uploads/", "bbc.jsonl", "bbc.jsonl#business/").
        Without a date bound, a question naming an absolute date that some article
        carries ("on March 2, 2022") is kept to that day. `Answer.filter` is what applied.

        `history` holds the earlier questions of the conversation, oldest first, as plain
        strings or carrying the sources their answers cited (`qa.followup.conversation`).
        A follow-up is searched for within the previous answer's articles first; across
        the whole corpus when it names something they never mention, or when nothing in
        them answers it. `search_note` on the answer says which.
        """
        question = validate_question(question)
        asked = make_filter(filter, since, until, sources)
        k = self.settings.top_k if top_k is None else check_top_k(top_k)
        floor = self.settings.abstain_below if threshold is None else check_threshold(threshold)
        turns = [Turn(clean_text(t.question), t.sources) for t in conversation(history)]
        turns = [turn for turn in turns if turn.question]
        if not self.settings.answer_cache:
            return self._answer(question, turns, k, floor, asked)
        started = time.perf_counter()
        key = (question, tuple(turns), k, floor, asked, self.index.generation)
        while True:  # a question being answered in another thread right now is waited for
            with self._cache_lock:
                hit = self._cache.get(key)
                if hit is not None:
                    self._cache.move_to_end(key)
                    break
                running = self._running.get(key)
                if running is None:
                    self._running[key] = threading.Event()
                    break
            running.wait()
        if hit is not None:
            self._remember([*(turn.question for turn in turns), question], _sources_of(hit.citations))
            spent = {"retrieve": 0.0, "read": 0.0, "total": time.perf_counter() - started}
            return replace(hit, cached=True, timings=spent)
        try:
            result = self._answer(question, turns, k, floor, asked)
            with self._cache_lock:
                self._cache[key] = result
                while len(self._cache) > self.settings.answer_cache:
                    self._cache.popitem(last=False)
            return result
        finally:
            with self._cache_lock:
                self._running.pop(key).set()

    def _answer(self, question: str, turns: list[Turn], k: int, floor: float, asked: Filter) -> Answer:
        """`answer` for a cleaned question and conversation, without the cache."""
        started = time.perf_counter()
        applied = self._date_named(question, asked)
        # a date the question names, once it is the filter, is not part of what is asked
        read = (without_dates(question) or question) if applied.dated and not asked.dated else question
        query = resolve(read, [turn.question for turn in turns])
        spent = {"retrieve": 0.0, "read": 0.0}
        if not any(ch.isalnum() for ch in read):
            # "?!", emoji: nothing to look for, yet a reader handed it still picks a span
            # (the MPNet reader gave "34 abstentions" for "?!.,;:" at 0.95), so nothing is read
            hits: list[Hit] = []
            scope, note, choice = None, "", _Choice()
        else:
            scope, note = self._follow_up_scope(read, query, turns, k, floor, asked)
            hits, choice = self._search(read, query, k, floor, scope, spent, applied)
        if scope and (not choice.citations or choice.score < floor):
            note = f"in all articles: nothing in {_previous(scope)} answered it"
            scope = None
            hits, choice = self._search(read, query, k, floor, scope, spent, applied)
        abstained = not choice.citations or choice.score < floor
        citations = [] if abstained else list(choice.citations or [])
        self._remember([*(turn.question for turn in turns), question], _sources_of(citations))
        # the question as asked: a follow-up's folded-in history is not what it names
        missing, share = self._missing_terms(read, choice.citations)
        earlier = [] if abstained else [self._calibrated(read, report) for report in choice.earlier or []]
        return Answer(
            question=question,
            text=NOT_FOUND if abstained else choice.text,
            score=choice.score,
            confidence=self.calibration.confidence(choice.score, share) if self.calibration else None,
            missing_terms=missing,
            missing_share=share,
            abstained=abstained,
            citations=citations,
            passages=hits,
            resolved_question=query,
            # "total" includes re-answering an earlier question whose sources were unknown
            timings={**spent, "total": time.perf_counter() - started},
            searched_in=list(scope or []),
            search_note=note,
            earlier_reports=earlier,
            filter=applied or None,
        )

    def _missing_terms(self, query: str, citations: Sequence[Citation] | None) -> tuple[list[str], float]:
        """The key terms of `query` that the first cited article never mentions, and their
        share of all its key terms (`qa.calibrate.missing_terms`); none without a citation."""
        if not citations:
            return [], 0.0
        top = citations[0]
        article = "\n".join([top.title, *self.index.source_lines(top.source).values()])
        return missing_terms(query, article)

    def _calibrated(self, query: str, report: EarlierReport) -> EarlierReport:
        """`report` with its calibrated confidence (judged against its own article)."""
        if self.calibration is None:
            return report
        _, share = self._missing_terms(query, [report.citation])
        return replace(report, confidence=self.calibration.confidence(report.score, share))

    def _date_named(self, question: str, asked: Filter) -> Filter:
        """`asked`, kept to the day `question` names when it sets no dates itself and an
        article it allows carries that day (`named_date`)."""
        if asked.dated or not any(pattern.search(question) for pattern, *_ in _NAMED_DATES):
            return asked
        dates = {article_date(c.date) for c in self.index.chunks if asked.allows_source(c.source)}
        day = named_date(question, {d for d in dates if d is not None})
        return replace(asked, since=day, until=day) if day else asked

    def _search(
        self,
        question: str,
        query: str,
        k: int,
        floor: float,
        scope: tuple[str, ...] | None,
        spent: dict[str, float],
        filter: Filter | None = None,
    ) -> tuple[list[Hit], _Choice]:
        """Retrieve (under `filter`, within `scope` when given) and read; adds the seconds
        taken to `spent`."""
        started = time.perf_counter()
        pool = self.settings.rerank_pool if self.reranker is not None and self.settings.rerank_pool > k else k
        # the newest report is read even when older ones outrank it (`qa.retrieve`)
        hits = retrieve(
            self.index, query, pool, self.settings.retrieval, sources=scope, filter=filter, newer=NEWER_DEPTH * k
        )
        if pool > k and self.reranker is not None:  # the newer passage, if any, stays beside the top k
            top = hits[:pool]
            hits = rerank(question, top, k, self.reranker, [headline_context(h.chunk) for h in top]) + hits[pool:]
        retrieved = time.perf_counter()
        choice = self._choose(question, self._read(question, hits), hits, floor)
        spent["retrieve"] += retrieved - started
        spent["read"] += time.perf_counter() - retrieved
        return hits, choice

    def _make_reranker(self) -> Reader | None:
        """The reader that scores the rerank pool (`Settings.rerank_pool`); None when off.
        The main reader itself when both are the same model."""
        if not self.settings.rerank_pool:
            return None
        if Path(self.settings.reranker_path) == Path(getattr(self.reader, "path", "")):
            return self.reader
        return Reader.from_settings(self.settings.with_overrides(reader_path=self.settings.reranker_path))

    def _read(self, question: str, hits: list[Hit]) -> list[Span]:
        if not hits:
            return []
        spans = self.reader.read(
            question,
            [h.chunk.text for h in hits],
            top_n=SPANS_PER_PASSAGE,
            contexts=[headline_context(h.chunk) for h in hits],
            per_passage=True,
        )
        return prefer_body(spans, hits)

    # ------------------------------------------------------------- follow-ups

    def _follow_up_scope(
        self, question: str, query: str, turns: list[Turn], k: int, floor: float, asked: Filter | None = None
    ) -> tuple[tuple[str, ...] | None, str]:
        """The sources a follow-up is searched in (None: all), and the note saying why.

        Only a question that `resolve` folded history into is a follow-up. It stays with
        the sources the previous answer cited unless it names something (`new_names`)
        none of them mention; a previous answer that cited nothing leaves it to the
        whole corpus, as before.
        """
        if not turns or query == question:
            return None, ""
        sources = self._previous_sources(turns, k, floor, asked)
        if not sources:
            return None, ""
        wanted = set(sources)
        text = "\n".join(c.search_text for c in self.index.chunks if c.source in wanted)
        new = new_names(question, text)
        if new:
            named = ", ".join(f"“{name}”" for name in new)
            return None, f"in all articles: {named} is not in {_previous(sources)}"
        return sources, f"in {_previous(sources)}"

    def _previous_sources(
        self, turns: list[Turn], k: int, floor: float, asked: Filter | None = None
    ) -> tuple[str, ...]:
        """The sources the answer to `turns[-1]` cited.

        Given by the history when it carries them; else remembered from when this
        assistant answered that question (the chat asks the same assistant turn after
        turn); else found by answering it again with its own earlier turns.
        """
        previous = turns[-1]
        if previous.sources is not None:
            return previous.sources
        key = tuple(turn.question for turn in turns)
        with self._recent_lock:
            known = key in self._recent
        if not known:
            try:
                self.answer(previous.question, history=turns[:-1], top_k=k, threshold=floor, filter=asked)
            except QuestionError:  # an earlier turn no reader should see: search everywhere
                return ()
        with self._recent_lock:
            return self._recent.get(key, ())

    def _remember(self, questions: list[str], sources: tuple[str, ...]) -> None:
        key = tuple(questions)
        with self._recent_lock:
            self._recent[key] = sources
            self._recent.move_to_end(key)
            while len(self._recent) > RECENT_ANSWERS:
                self._recent.popitem(last=False)

    # -------------------------------------------------------------- choosing

    def _choose(self, question: str, spans: list[Span], hits: list[Hit], floor: float) -> _Choice:
        """Group spans saying the same thing; pick the answer, and the earlier reports.

        The best-scoring group wins and cites every line it was found on, unless articles
        disagree: among the groups within `REPORT_MARGIN` of the best (and at least even
        odds and `floor`), the one from the most recently dated article wins (an undated
        article cannot be placed in time, so a dated one goes first), provided its
        article names at least the key terms of `question` that the best one's does: a
        newer report of the same thing, not a newer story about something else (over a
        whole archive, a dated 1987 story displaced the undated BBC one a question was
        about with "Beaver Creek" for the city hosting the World Social Forum). The other
        such groups from older or undated articles, and not contained in the answer,
        become `EarlierReport`s, one per article, each with its citation.
        """
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
            return _Choice()
        best_score = max(span.score for group in groups.values() for span, _ in group)
        bar = max(UNSURE_BELOW, floor, best_score - REPORT_MARGIN)
        # each group's strongest claim to recency: its newest dated span over the bar
        dated: dict[str, tuple[Span, Citation]] = {}
        for key, group in groups.items():
            sure = [(s, c) for s, c in group if s.score >= bar and c.date]
            if sure:
                dated[key] = max(sure, key=lambda pair: (pair[1].date or "", pair[0].score))
        best_key = max(groups, key=lambda key: max(s.score for s, _ in groups[key]))
        chosen = best_key
        best_date = dated[best_key][1].date if best_key in dated else None
        best_citation = max(groups[best_key], key=lambda pair: pair[0].score)[1]
        # the best article's missing-term share, worked out once and only if it is needed
        best_share = functools.cache(lambda: self._missing_terms(question, [best_citation])[1])
        newer = [
            key
            for key in dated
            if (best_date is None or (dated[key][1].date or "") > best_date)
            and self._on_topic(question, dated[key][1], best_citation, best_share)
        ]
        if newer:
            chosen = max(newer, key=lambda key: (dated[key][1].date or "", dated[key][0].score))
        group = groups[chosen]
        top_span, top_citation = max(group, key=lambda pair: pair[0].score)
        citations = merge_citations([top_citation] + [c for _, c in group])
        # a span run on across hard-wrapped lines reads as one line of text
        text = top_citation.quote[top_citation.start : top_citation.end].replace("\n", " ")
        answer_date = dated[chosen][1].date if chosen in dated else None
        return _Choice(text, top_span.score, citations, self._earlier(groups, chosen, answer_date, bar))

    def _on_topic(self, question: str, newer: Citation, best: Citation, best_share: Callable[[], float]) -> bool:
        """Whether `newer`'s article misses no more of `question`'s key terms than `best`'s
        (`best_share`, a cached call: each share reads the article's lines from the index)."""
        if _article(newer) == _article(best):
            return True
        return self._missing_terms(question, [newer])[1] <= best_share()

    @staticmethod
    def _earlier(
        groups: dict[str, list[tuple[Span, Citation]]], chosen: str, answer_date: str | None, bar: float
    ) -> list[EarlierReport]:
        """Confident answers from articles older than (or, undated, not placeable beside)
        the dated answer that say something else; the best one per article."""
        if answer_date is None:
            return []
        answer_articles = {_article(c) for _, c in groups[chosen]}
        per_article: dict[tuple[str, str], tuple[Span, Citation]] = {}
        for key, group in groups.items():
            if _agrees(key, chosen):
                continue
            for span, citation in group:
                article = _article(citation)
                if span.score < bar or article in answer_articles:
                    continue
                if citation.date is not None and citation.date >= answer_date:
                    continue
                if article not in per_article or span.score > per_article[article][0].score:
                    per_article[article] = (span, citation)
        reports = [
            EarlierReport(text=c.quote[c.start : c.end].replace("\n", " "), score=s.score, date=c.date, citation=c)
            for s, c in per_article.values()
        ]
        return sorted(reports, key=lambda r: (r.date or "", r.score), reverse=True)


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


def answer(
    question: str,
    history: list | None = None,
    top_k: int | None = None,
    *,
    filter: Filter | None = None,
    since: date | str | None = None,
    until: date | str | None = None,
    sources: Iterable[str] | str | None = None,
) -> Answer:
    """Answer a question from the articles in ./seeds (the default assistant), among
    those dated `since`..`until` and from `sources` when given (see `Assistant.answer`)."""
    return default_assistant().answer(
        question, history=history, top_k=top_k, filter=filter, since=since, until=until, sources=sources
    )
