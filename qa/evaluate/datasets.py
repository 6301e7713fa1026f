"""Question sets in, `EvalQuestion`s out: the project's JSONL and SQuAD v1.1/v2.0 JSON.

Both formats end up as the same record so the runner and the metrics never care where
a question came from. Problems in a question file are errors naming the file and line:
a silently skipped question would quietly change every score computed from the set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from pathlib import Path

from qa.errors import NewsQAError
from qa.squad import load_squad

SQUAD_CORPUS_FILE = "squad.jsonl"  # name of the temporary corpus file in --mode system
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Context:
    """A passage handed to the reader in --mode reader, with its line provenance.

    ``text.split("\\n")[i]`` is line ``lines[i]`` of `source`, so a span's offset maps
    back to the line a citation would name.
    """

    text: str
    lines: tuple[int, ...]
    source: str | None = None

    def line_at(self, offset: int) -> int:
        """The source line holding character `offset` of `text`."""
        index = self.text.count("\n", 0, max(offset, 0))
        return self.lines[min(index, len(self.lines) - 1)]


@dataclass(frozen=True)
class EvalQuestion:
    """One question with everything needed to score an answer to it.

    `answers` are acceptable reference spans (any one counts); `lines` the gold 1-based
    line numbers in `source`; an unanswerable question has no answers and no lines.
    """

    id: str
    question: str
    answers: tuple[str, ...] = ()
    history: tuple[str, ...] = ()
    source: str | None = None
    lines: tuple[int, ...] = ()
    answerable: bool = True
    contexts: tuple[Context, ...] = field(default=(), compare=False)

    @property
    def is_followup(self) -> bool:
        return bool(self.history)


@dataclass(frozen=True)
class Paragraph:
    """A SQuAD paragraph, to be written as one article of the --mode system corpus."""

    id: str
    title: str
    text: str


@dataclass
class QuestionSet:
    """Questions plus, for SQuAD, the paragraphs that form their corpus."""

    name: str
    kind: str  # "jsonl" or "squad"
    questions: list[EvalQuestion]
    paragraphs: list[Paragraph] = field(default_factory=list)


class DatasetError(NewsQAError, ValueError):
    """A question file that cannot be used as written."""


# --------------------------------------------------------------------- helpers


def parse_articles(spec: str) -> range:
    """`"32-47"` -> range(32, 48) (inclusive, as the CLI flag is written); `"5"` -> range(5, 6)."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", spec)
    if not match:
        raise ValueError(f"--articles expects A-B or A (article indexes), got {spec!r}")
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) is not None else first
    if last < first:
        raise ValueError(f"--articles range is empty: {spec!r}")
    return range(first, last + 1)


def detect_kind(path: Path) -> str:
    """'jsonl' for the project's format, 'squad' for SQuAD JSON (by suffix, then content)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".jsonl":
        return "jsonl"
    if suffix == ".json":
        return "squad"
    with open(path, encoding="utf-8") as handle:
        head = handle.read(64).lstrip()
    return "squad" if head.startswith("{") and '"data"' in head else "jsonl"


def load_questions(path: Path, articles: Collection[int] | None = None, limit: int | None = None) -> QuestionSet:
    """Load any supported question file; `articles` applies to SQuAD, `limit` to both."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"question file does not exist: {path}")
    kind = detect_kind(path)
    if kind == "squad":
        qset = load_squad_questions(path, articles)
    else:
        if articles is not None:
            raise DatasetError("--articles only applies to SQuAD JSON files")
        qset = QuestionSet(name=path.name, kind="jsonl", questions=load_jsonl(path))
    if limit is not None:
        if limit < 1:
            raise DatasetError("--limit must be at least 1")
        qset.questions = qset.questions[:limit]
    if not qset.questions:
        raise DatasetError(f"{path}: no questions selected")
    return qset


# ----------------------------------------------------------------- project JSONL


def load_jsonl(path: Path) -> list[EvalQuestion]:
    """Read the project's question format (see the module docstring of `qa.evaluate`)."""
    questions: list[EvalQuestion] = []
    seen: set[str] = set()
    with open(path, encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                question = _jsonl_question(json.loads(raw))
            except (json.JSONDecodeError, ValueError, TypeError) as err:
                raise DatasetError(f"{path}, line {number}: {err}") from None
            if question.id in seen:
                raise DatasetError(f"{path}, line {number}: duplicate id {question.id!r}")
            seen.add(question.id)
            questions.append(question)
    return questions


def _string_list(record: dict, key: str) -> tuple[str, ...]:
    value = record.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"'{key}' must be a list of strings")
    return tuple(value)


def _jsonl_question(record: object) -> EvalQuestion:
    if not isinstance(record, dict):
        raise ValueError("expected a JSON object")
    for key in ("id", "question"):
        if not isinstance(record.get(key), (str, int)) or isinstance(record.get(key), bool):
            raise ValueError(f"missing or invalid '{key}'")
    question = str(record["question"]).strip()
    if not question:
        raise ValueError("empty 'question'")
    answers = _string_list(record, "answers")
    history = _string_list(record, "history")
    answerable = record.get("answerable", True)
    if not isinstance(answerable, bool):
        raise ValueError("'answerable' must be true or false")
    lines = record.get("lines") or []
    if not isinstance(lines, list) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in lines):
        raise ValueError("'lines' must be a list of 1-based line numbers")
    if answerable and not any(a.strip() for a in answers):
        raise ValueError("an answerable question needs at least one non-empty answer")
    if not answerable and (answers or lines):
        raise ValueError("an unanswerable question cannot have answers or gold lines")
    source = record.get("source")
    if source is not None and not isinstance(source, str):
        raise ValueError("'source' must be a string")
    return EvalQuestion(
        id=str(record["id"]),
        question=question,
        answers=answers,
        history=history,
        source=source or None,
        lines=tuple(sorted(set(lines))),
        answerable=answerable,
    )


def attach_contexts(questions: list[EvalQuestion], corpus_dir: Path) -> list[EvalQuestion]:
    """Give each JSONL question its gold passages, for --mode reader on the project format.

    The reader gets the articles of `source` that hold a gold line, or every article of
    `source` when there is none (an unanswerable question), so --mode reader measures
    the reader alone, with retrieval assumed perfect.
    """
    from qa.ingest import read_articles  # ingest is only needed for this mode

    corpus_dir = Path(corpus_dir)
    cache: dict[str, list[Context]] = {}
    out = []
    for q in questions:
        if q.source is None:
            raise DatasetError(f"question {q.id}: --mode reader needs a 'source' file")
        file_part = q.source.split("#", 1)[0]
        if file_part not in cache:
            path = corpus_dir / file_part
            if not path.exists():
                raise DatasetError(f"question {q.id}: source {path} does not exist")
            cache[file_part] = [
                Context(
                    text="\n".join(line.text for line in article.lines),
                    lines=tuple(line.number for line in article.lines),
                    source=article.source,
                )
                for article in read_articles(path, corpus_dir)
            ]
        candidates = [c for c in cache[file_part] if "#" not in q.source or c.source == q.source]
        gold = [c for c in candidates if set(c.lines) & set(q.lines)]
        out.append(replace(q, contexts=tuple(gold or candidates)))
    return out


# ------------------------------------------------------------------------- SQuAD


def load_squad_questions(path: Path, articles: Collection[int] | None = None) -> QuestionSet:
    """SQuAD v1.1/v2.0 questions, each tied to its paragraph as a one-article JSONL record.

    Paragraph ids are `<article index>-<paragraph number>` so they are stable across runs;
    gold lines come from the answer offsets (almost every SQuAD paragraph is one line).
    """
    examples = load_squad(Path(path), articles=articles)
    paragraphs: dict[tuple[int, str], Paragraph] = {}
    per_article: dict[int, int] = {}
    questions = []
    for ex in examples:
        key = (ex.article, ex.context)
        if key not in paragraphs:
            number = per_article.get(ex.article, 0)
            per_article[ex.article] = number + 1
            paragraphs[key] = Paragraph(id=f"{ex.article}-{number}", title=ex.title.replace("_", " "), text=ex.context)
        para = paragraphs[key]
        source = f"{SQUAD_CORPUS_FILE}#{para.id}"
        context = Context(text=ex.context, lines=_context_lines(ex.context), source=source)
        questions.append(
            EvalQuestion(
                id=ex.id,
                question=ex.question,
                answers=tuple(text for text, _ in ex.answers),
                source=source,
                lines=tuple(sorted({_line_of(ex.context, start) for _, start in ex.answers})),
                answerable=not ex.is_impossible,
                contexts=(context,),
            )
        )
    return QuestionSet(name=Path(path).name, kind="squad", questions=questions, paragraphs=list(paragraphs.values()))


def _context_lines(text: str) -> tuple[int, ...]:
    return tuple(range(1, text.count("\n") + 2))


def _line_of(text: str, offset: int) -> int:
    """1-based physical line (CR, LF or CRLF breaks, as qa.ingest counts) of `offset`."""
    return len(_LINE_BREAK.split(text[:offset]))


def write_squad_corpus(paragraphs: list[Paragraph], directory: Path) -> Path:
    """Write the paragraphs as the --mode system corpus: one JSONL article per paragraph."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / SQUAD_CORPUS_FILE
    with open(path, "w", encoding="utf-8") as handle:
        for para in paragraphs:
            record = {"id": para.id, "title": para.title, "text": para.text}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path
