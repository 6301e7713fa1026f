"""Files in, `Article`s out: the first stage of the pipeline.

Every later stage cites answers by file, line and column, so this module's one hard
promise is provenance: each `Line` is a physical line of its file (1-based, blank lines
skipped but still counted) and ``line.raw[line.col:line.col + len(line.text)] ==
line.text``. Anything odd about a file (bad bytes, bad JSON records, no content) is
reported with `warnings.warn` naming the file, never dropped silently.

What counts as text is defined once, here (`decode_text`), for `qa index` and for
browser uploads alike: UTF-8 (BOM optional) or UTF-16 with a BOM, no NUL bytes; a
UTF-8 file with a few corrupted bytes is kept (they become U+FFFD, with a warning),
but binary, Latin-1 or BOM-less UTF-16 files are skipped, because an index of
replacement characters answers nothing. Files over `MAX_FILE_BYTES` are skipped too,
and titles are cut to `MAX_TITLE_CHARS`, so no one file can make indexing or reading slow.

Three formats are understood:

* seed-format news files (``.txt``): `` date YYYY-MM-DD <headline>``, a ``- ``
  standfirst, one paragraph per line, then "related stories" as headline + summary
  pairs. The main story and every related story become separate `Article`s, so a
  related story's text is never attributed to the main headline.
* plain ``.txt`` / ``.md``: one article, titled by its first non-blank line.
* ``.jsonl``: one article per record with ``id``, ``title``, optional ``date``, ``text``.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import warnings
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from qa.errors import NewsQAError
from qa.types import Article, Line

SUPPORTED_SUFFIXES = (".txt", ".md", ".jsonl")
# Per file: the largest shipped corpus (Reuters, 18 MB of JSONL) fits; a 50 MB dump
# would take hours to embed on a CPU and is skipped with a warning instead.
MAX_FILE_BYTES = 32 * 1024 * 1024

# ` date 2022-03-02 Headline` (leading whitespace optional, as some editors strip it).
_DATE_LINE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\b[ \t]*")
_STANDFIRST = re.compile(r"^\s*-\s+")
_MD_HEADING = re.compile(r"^\s*#{1,6}\s+")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A sentence ends in . ! ? or … , possibly followed by closing quotes/brackets.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
# Related-story headlines are short; anything longer is prose even without a full stop.
_HEADLINE_MAX_WORDS = 25
_HEADLINE_MAX_CHARS = 200
# The reader reads an article's title before each of its passages: a title is cut to
# this many characters (a 1 MB first line is prose, not a headline).
MAX_TITLE_CHARS = _HEADLINE_MAX_CHARS
_MAX_LISTED_PROBLEMS = 10


class NotText(NewsQAError, ValueError):
    """File contents that are not text in an encoding we read; the message says why."""


class CorpusNotFound(NewsQAError, FileNotFoundError):
    """A corpus path that does not exist."""


# --------------------------------------------------------------------------- files


def find_source_files(paths: Iterable[Path]) -> list[Path]:
    """Expand files and directories into the sorted list of corpus files to ingest.

    Directories are walked recursively (without following directory symlinks, so a
    link loop cannot hang ingestion); hidden files and directories (``.git``,
    editor swap files) are skipped because they are never articles. A path named
    explicitly is used even if hidden, as the user asked for it, but an unsupported
    suffix is still skipped with a warning rather than parsed as garbage.
    """
    found: set[Path] = set()
    for path in map(Path, paths):
        if not path.exists():
            raise CorpusNotFound(f"corpus path does not exist: {path}")
        if path.is_dir():
            found.update(_walk_directory(path))
        elif _is_supported(path):
            found.add(path)
        else:
            warnings.warn(
                f"skipping {path}: unsupported file type (expected one of {', '.join(SUPPORTED_SUFFIXES)})",
                stacklevel=2,
            )
    return sorted(found)


def _walk_directory(directory: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            candidate = Path(dirpath) / name
            if not name.startswith(".") and _is_supported(candidate):
                yield candidate


def _is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES


def _relative_source(path: Path, root: Path) -> str:
    """`path` relative to `root` (posix), or just its name when it lives elsewhere."""
    for candidate, base in ((path.absolute(), root.absolute()), (path.resolve(), root.resolve())):
        try:
            return candidate.relative_to(base).as_posix()
        except ValueError:
            continue
    return path.name


# ------------------------------------------------------------------------ decoding


def decode_text(data: bytes) -> tuple[str, str | None]:
    """``(text, problem)`` of a file's bytes, or `NotText` saying why they are not text.

    UTF-16 needs a BOM; anything else must be UTF-8 (BOM optional). Undecodable bytes
    are tolerated (as U+FFFD, reported in `problem`) only in a file that is evidently
    UTF-8: fewer bad bytes than correctly encoded non-ASCII characters. A Latin-1 or
    cp1252 file has none of those, so it is refused rather than indexed as garbage.
    NUL characters mean a binary file (or UTF-16 without a BOM).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text, problem = data.decode("utf-16"), None
        except UnicodeDecodeError as err:
            raise NotText(f"broken UTF-16 text ({err.reason})") from None
    else:
        text, problem = _decode_utf8(data)
    if "\x00" in text:
        raise NotText("looks like a binary file, not text")
    return text, problem


# A correctly encoded non-ASCII character: what a UTF-8 file has and a Latin-1 one lacks.
_WELL_ENCODED = re.compile(r"[^\x00-\x7f\ufffd]")


def _decode_utf8(data: bytes) -> tuple[str, str | None]:
    """UTF-8 text and a problem note, tolerating bad bytes only as `decode_text` says."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as err:
        first_bad = err.start
    text = data.decode("utf-8-sig", errors="replace")
    bad = text.count("\ufffd")
    well_encoded = sum(1 for _ in itertools.islice(_WELL_ENCODED.finditer(text), bad + 1))
    if well_encoded <= bad:
        raise NotText(f"not UTF-8 text (bad byte at offset {first_bad}); save it as UTF-8")
    return text, (
        f"not valid UTF-8 (first bad byte at offset {first_bad}); {bad} undecodable byte(s) were replaced with U+FFFD"
    )


def _read_text(path: Path, max_bytes: int) -> str | None:
    """The file's text, or None (with a warning naming the file and why) if it is
    too big or not text."""
    size = path.stat().st_size
    if size > max_bytes:
        warnings.warn(
            f"skipping {path}: {format_size(size)} is over the {format_size(max_bytes)} "
            "per-file limit; split it into smaller files",
            stacklevel=3,
        )
        return None
    try:
        text, problem = decode_text(path.read_bytes())
    except NotText as err:
        warnings.warn(f"skipping {path}: {err}", stacklevel=3)
        return None
    if problem:
        warnings.warn(f"{path}: {problem}", stacklevel=3)
    return text


def format_size(n: int) -> str:
    """A byte count for messages: "18.3 MB", "12 KB", "512 bytes"."""
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


def short_title(text: str) -> str:
    """`text` cut to `MAX_TITLE_CHARS` at a word boundary where there is one, with "…"."""
    text = text.strip()
    if len(text) <= MAX_TITLE_CHARS:
        return text
    cut = text.rfind(" ", 0, MAX_TITLE_CHARS)
    if cut < MAX_TITLE_CHARS // 2:
        cut = MAX_TITLE_CHARS - 1
    return text[:cut].rstrip() + "…"


def _physical_lines(text: str) -> list[str]:
    """Split on CRLF, CR or LF only (not `str.splitlines`, which also breaks on form
    feeds and U+2028 and would shift line numbers away from what editors show)."""
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()  # a final newline does not start another line
    return [line.rstrip() for line in lines]


def _make_line(number: int, raw: str, prefix: re.Pattern[str] | None = None) -> Line:
    """A Line whose text is `raw` minus indentation (and an optional prefix pattern)."""
    col = len(raw) - len(raw.lstrip())
    if prefix is not None and (match := prefix.match(raw)):
        col = match.end()
    return Line(number=number, raw=raw, text=raw[col:], col=col)


def _text_lines(text: str) -> list[Line]:
    """Non-blank physical lines of `text` as Lines numbered from 1."""
    return [_make_line(number, raw) for number, raw in enumerate(_physical_lines(text), start=1) if raw.strip()]


# ------------------------------------------------------------------------- reading


def read_articles(path: Path, root: Path, max_bytes: int | None = None) -> list[Article]:
    """Parse one corpus file into its articles (see the module docstring for formats).

    A file over `max_bytes` (default `MAX_FILE_BYTES`), or not text, gives no articles
    and a warning naming it.
    """
    path, root = Path(path), Path(root)
    source = _relative_source(path, root)
    text = _read_text(path, MAX_FILE_BYTES if max_bytes is None else max_bytes)
    if text is None:
        return []
    if not text.strip():
        warnings.warn(f"{path}: file is empty; no articles read from it", stacklevel=2)
        return []
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return _read_jsonl(text, path, source)
    lines = _text_lines(text)
    if suffix == ".md":
        lines = [_make_line(line.number, line.raw, _MD_HEADING) for line in lines]
        lines = [line for line in lines if line.text]  # a bare "#" line has no prose
    elif _looks_like_seed(lines):
        return _read_seed(lines, source)
    if not lines:
        warnings.warn(f"{path}: no text found; no articles read from it", stacklevel=2)
        return []
    return [_plain_article(lines, source)]


def _plain_article(lines: list[Line], source: str) -> Article:
    """One article of all lines, titled by the first (Markdown `#`s already cut off)."""
    return Article(source=source, title=short_title(lines[0].text), date=None, lines=tuple(lines))


# -------------------------------------------------------------------- seed format


def _looks_like_seed(lines: list[Line]) -> bool:
    """Seed files start with a date line, or (date line lost) a headline + standfirst."""
    if not lines:
        return False
    if _DATE_LINE.match(lines[0].raw):
        return True
    return len(lines) > 1 and bool(_STANDFIRST.match(lines[1].raw))


def _read_seed(lines: list[Line], source: str) -> list[Article]:
    """The main story plus one Article per related story at the end of the file."""
    date, headline, rest = _seed_header(lines)
    standfirst: list[Line] = []
    if rest and _STANDFIRST.match(rest[0].raw):
        standfirst = [_make_line(rest[0].number, rest[0].raw, _STANDFIRST)]
        rest = rest[1:]
    split = _related_start(rest)
    body, related = rest[:split], rest[split:]
    head_lines = [headline] if headline is not None and headline.text else []
    main_lines = head_lines + [line for line in standfirst if line.text] + body
    title = head_lines[0].text if head_lines else (main_lines[0].text if main_lines else "")
    articles = [Article(source=source, title=short_title(title), date=date, lines=tuple(main_lines))]
    for head, summary in zip(related[::2], related[1::2]):
        articles.append(Article(source=source, title=short_title(head.text), date=date, lines=(head, summary)))
    return articles


def _seed_header(lines: list[Line]) -> tuple[str | None, Line | None, list[Line]]:
    """(date, headline Line with the date prefix cut off, remaining lines)."""
    first = lines[0]
    match = _DATE_LINE.match(first.raw)
    if match is None:
        return None, first, lines[1:]
    headline = Line(number=first.number, raw=first.raw, text=first.raw[match.end() :], col=match.end())
    return match.group(1), headline, lines[1:]


def _related_start(body: list[Line]) -> int:
    """Index in `body` where the related stories begin (`len(body)` if there are none).

    Related stories are the longest tail of the body that splits entirely into
    (headline, summary) pairs, where a headline is short and lacks sentence-final
    punctuation and a summary is not headline-like. Requiring the *whole* tail to pair
    up is what keeps a stray short paragraph (a subheading, a one-line quote) from
    being mistaken for the start of the section. The first body line always stays
    with the main story.
    """
    kinds = [_is_headline_like(line.text) for line in body]
    start = len(body)
    # Walk backwards two lines at a time while the pairs keep matching.
    while start - 2 >= 1 and kinds[start - 2] and not kinds[start - 1]:
        start -= 2
    return start


def _is_headline_like(text: str) -> bool:
    words = text.split()
    return 0 < len(words) <= _HEADLINE_MAX_WORDS and len(text) <= _HEADLINE_MAX_CHARS and not _SENTENCE_END.search(text)


# -------------------------------------------------------------------------- JSONL


def _read_jsonl(text: str, path: Path, source: str) -> list[Article]:
    """One Article per valid record; bad records are skipped and reported together."""
    articles: list[Article] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(_physical_lines(text), start=1):
        if not raw.strip():
            continue
        try:
            article = _jsonl_record(json.loads(raw), source)
        except (json.JSONDecodeError, ValueError) as err:
            problems.append(f"line {number}: {_describe(err)}")
            continue
        if article.source in seen:
            warnings.warn(
                f"{path}: duplicate id in line {number} (first seen in line "
                f"{seen[article.source]}); citations of {article.source} are ambiguous",
                stacklevel=3,
            )
        seen.setdefault(article.source, number)
        articles.append(article)
    if problems:
        listed = "; ".join(problems[:_MAX_LISTED_PROBLEMS])
        more = f"; and {len(problems) - _MAX_LISTED_PROBLEMS} more" if len(problems) > _MAX_LISTED_PROBLEMS else ""
        warnings.warn(f"{path}: skipped {len(problems)} bad record(s) ({listed}{more})", stacklevel=3)
    return articles


def _describe(err: Exception) -> str:
    if isinstance(err, json.JSONDecodeError):
        return f"invalid JSON ({err.msg})"
    return str(err)


def _jsonl_record(record: object, source: str) -> Article:
    """Validate one JSONL record and turn it into an Article (ValueError if unusable)."""
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    missing = [key for key in ("id", "title", "text") if record.get(key) is None]
    if missing:
        raise ValueError(f"missing field(s) {', '.join(missing)}")
    if not isinstance(record["id"], (str, int)) or isinstance(record["id"], bool):
        raise ValueError("'id' must be a string or integer")
    for key in ("title", "text"):
        if not isinstance(record[key], str):
            raise ValueError(f"'{key}' must be a string")
    date = record.get("date")
    if date is not None and not isinstance(date, str):
        raise ValueError("'date' must be a string")
    lines = _text_lines(record["text"])
    if not lines:
        raise ValueError("empty 'text'")
    return Article(
        source=f"{source}#{record['id']}",
        title=short_title(record["title"]),
        date=_normalize_date(date),
        lines=tuple(lines),
    )


_DATE_FORMATS = ("%Y-%m-%d", "%d-%b-%Y", "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y")


def _normalize_date(value: str | None) -> str | None:
    """ISO `YYYY-MM-DD` when the date is recognisable (seed files use that form, and
    Reuters' ``26-FEB-1987 15:01:01.79`` would otherwise sort and display differently);
    anything else is kept as written rather than guessed at."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    first_token = re.split(r"[T\s]", value, maxsplit=1)[0]  # drop a time of day
    for candidate in (first_token, value):
        for fmt in _DATE_FORMATS:
            try:
                return datetime.strptime(candidate, fmt).date().isoformat()
            except ValueError:
                continue
    return value
