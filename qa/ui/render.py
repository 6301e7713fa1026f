"""Turn an `Answer` into what the chat shows: Markdown replies and an HTML sources panel.

Pure functions with no Gradio import, so every formatting rule (escaping, where the
bold goes, what an abstention looks like) is unit-tested without a browser. The two
promises that matter to a journalist are kept here: an answer is always shown inside
the exact source line it was read from, and an abstention never shows a span at all.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from qa.config import MAX_QUESTION_CHARS, bundled_name
from qa.types import Answer, Citation, EarlierReport, Filter, Hit

NOT_FOUND = "I couldn't find that in the articles."
NEAR_MISSES = "Closest passages (not answers)"

# (source, line, before, after) -> [(line number, raw line)]; `Assistant.context_lines`.
ContextFn = Callable[..., list[tuple[int, str]]]

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>~&])")
_MD_LINE_START = re.compile(r"^(\s*)([#+\-=>]|\d+[.)])")
_SNIPPET_CHARS = 280
# a seed file's first line ` date 2022-03-02 Headline` and its `- standfirst` line
_DATE_LINE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\s+")
_STANDFIRST = re.compile(r"^\s*-\s+")


# ----------------------------------------------------------------------- Markdown


def escape_markdown(text: str) -> str:
    """Backslash-escape what Markdown or inline HTML would otherwise interpret.

    News text has `*` footnotes, `<` signs and `#hashtags` at line starts; unescaped
    they would turn into emphasis, swallowed tags or headings and the quote would no
    longer be verbatim. (`$` is left alone: the chat turns LaTeX rendering off.)
    """
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_LINE_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", escaped)


def _is_punct(char: str) -> bool:
    return unicodedata.category(char).startswith(("P", "S"))


def _can_use_stars(before: str, span: str, after: str) -> bool:
    """Whether ``**span**`` is valid CommonMark emphasis in this context.

    `**` only opens if the next character is not whitespace and, when that character
    is punctuation, the previous one is whitespace/punctuation (and mirrored for the
    closing run). A span like `“aggression”` glued to a word fails this.
    """
    prev = before[-1:] or " "
    nxt = after[:1] or " "
    first, last = span[0], span[-1]
    opens = not first.isspace() and (not _is_punct(first) or prev.isspace() or _is_punct(prev))
    closes = not last.isspace() and (not _is_punct(last) or nxt.isspace() or _is_punct(nxt))
    return opens and closes


def bold_span(quote: str, start: int, end: int) -> str:
    """`quote` as Markdown with ``quote[start:end]`` in bold, everything else escaped.

    Whitespace at the span's edges is moved outside the markers (CommonMark will not
    bold ``** x**``); where `**` still cannot work, inline ``<strong>`` is used.
    """
    start, end = max(0, min(start, len(quote))), max(0, min(end, len(quote)))
    while start < end and quote[start].isspace():
        start += 1
    while end > start and quote[end - 1].isspace():
        end -= 1
    before, span, after = quote[:start], quote[start:end], quote[end:]
    if not span:
        return escape_markdown(quote)
    if _can_use_stars(before, span, after):
        marked = f"**{escape_markdown(span)}**"
    else:
        marked = f"<strong>{escape_markdown(span)}</strong>"
    return escape_markdown(before) + marked + escape_markdown(after)


def _blockquote(markdown: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in markdown.split("\n"))


def format_confidence(score: float) -> str:
    """A 0-1 reader score as a whole percentage, clamped (scores are never shown as 100.3%)."""
    return f"{round(max(0.0, min(1.0, float(score))) * 100)}%"


def _code(text: str) -> str:
    """An inline code span that survives backticks inside `text`."""
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def code(text: str) -> str:
    """`text` as an inline code span (file names and paths in status lines)."""
    return _code(text)


def too_long(chars: int, limit: int = MAX_QUESTION_CHARS) -> str:
    """Why a pasted question is refused rather than cut and answered."""
    return (
        f"That question is {chars:,} characters long; the limit is {limit}. "
        "Nothing was asked: shorten it to the question itself and ask again."
    )


def reader_name(path: Path | str) -> str:
    """The reader as visitors see it: its folder's name, never the server path
    (a bundled reader is "bundled reader", with its model card's version if it has one and
    its name: "bundled reader v5 (fast)")."""
    path = Path(path)
    name = bundled_name(path)
    if name is not None:
        version = ""
        try:
            card = (path / "README.md").read_text(encoding="utf-8", errors="replace")[:4000]
            found = re.search(r"\b(v\d+)\b", card)
            version = f" {found.group(1)}" if found else ""
        except OSError:
            pass
        return f"bundled reader{version} ({name})"
    return path.name or str(path)


def _meta(title: str, date: str | None) -> str:
    parts = [f"*{escape_markdown(title)}*" if title.strip() else "", escape_markdown(date or "")]
    return " · ".join(part for part in parts if part)


def citation_line(number: int, citation: Citation) -> str:
    """``[1] *Headline* · 2022-03-02 · <small>`000_40ab86d132b0175c.txt:4`</small>``:
    the story first, the file and line (for checking) smaller after it."""
    meta = _meta(citation.title, citation.date)
    return f"[{number}] " + (f"{meta} · " if meta else "") + f"<small>{_code(str(citation))}</small>"


def passage_label(hit: Hit) -> str:
    """``file.txt:3-5`` for a retrieved passage (its first and last line)."""
    lines = [piece.line for piece in hit.chunk.pieces] or [0]
    first, last = min(lines), max(lines)
    return f"{hit.chunk.source}:{first}" if first == last else f"{hit.chunk.source}:{first}-{last}"


def _snippet(text: str, limit: int = _SNIPPET_CHARS) -> str:
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat.rfind(" ", 0, limit)
    return flat[: cut if cut > limit // 2 else limit] + " …"


def render_reply(answer: Answer, threshold: float | None = None, max_passages: int = 3) -> str:
    """The chat message for one answer (Markdown).

    Answered: the span in bold inside each cited source line, the confidence and
    numbered citations. Abstained (or no citation to show): the plain "couldn't find"
    sentence plus the closest passages, and never the reader's low-confidence span.
    """
    if answer.abstained or not answer.citations:
        return _with_reading(answer, render_not_found(answer, threshold=threshold, max_passages=max_passages))
    first = answer.citations[0]
    headline = first.quote[first.start : first.end].strip() or answer.text.strip()
    headline = " ".join(headline.split())
    confidence = f"confidence {format_confidence(answer.shown_confidence)}" + (
        " · unsure, check the line" if answer.unsure else ""
    )
    parts = [f"{bold_span(headline, 0, len(headline))} · {confidence}"]
    for number, citation in enumerate(answer.citations, start=1):
        quote = bold_span(citation.quote, citation.start, citation.end)
        parts.append(_blockquote(f"{quote} [{number}]"))
    parts.append("\n".join(citation_line(n, c) + "  " for n, c in enumerate(answer.citations, start=1)).rstrip())
    if answer.earlier_reports:
        parts.append(render_earlier_reports(answer.earlier_reports, first_number=len(answer.citations) + 1))
    return _with_reading(answer, "\n\n".join(parts))


def render_earlier_reports(reports: Sequence[EarlierReport], first_number: int = 2) -> str:
    """What older (or undated) articles said instead, each quoted and cited, numbered on
    from the answer's citations: the newest report answers, the rest are not hidden."""
    parts = ["**Earlier reports**"]
    for number, report in enumerate(reports, start=first_number):
        citation = report.citation
        text = " ".join(report.text.split())
        head = f"{bold_span(text, 0, len(text))} · {escape_markdown(report.date or 'undated')}"
        head += f" · confidence {format_confidence(report.shown_confidence)}"
        quote = bold_span(citation.quote, citation.start, citation.end)
        parts.append(f"{head}\n\n{_blockquote(f'{quote} [{number}]')}\n\n{citation_line(number, citation)}")
    return "\n\n".join(parts)


def _with_reading(answer: Answer, reply: str) -> str:
    """Prefix the search a follow-up became ("How many abstained?" + the earlier
    question) and where it was searched (the previous answer's article, or all of them
    and why), so a wrong reading of the conversation is visible, not silent."""
    if answer.filter:  # the visitor's filter, or a date the question named
        reply = f"*Only articles {escape_markdown(filter_text(answer.filter))}*\n\n{reply}"
    resolved = " ".join((answer.resolved_question or "").split())
    if not resolved or resolved.casefold() == " ".join(answer.question.split()).casefold():
        return reply
    note = " ".join((answer.search_note or "").split())
    where = f" · {escape_markdown(note)}" if note else ""
    return f"*Searched for: {escape_markdown(resolved)}{where}*\n\n{reply}"


def filter_text(applied: Filter) -> str:
    """A filter as a phrase: "dated 2022-03-02", "dated from 2022-03-01; from uploads/"."""
    since, until = applied.since, applied.until
    if since and since == until:
        when = f"dated {since}"
    elif since and until:
        when = f"dated {since} to {until}"
    elif since or until:
        when = f"dated from {since}" if since else f"dated until {until}"
    else:
        when = ""
    where = f"from {', '.join(applied.sources)}" if applied.sources else ""
    return "; ".join(part for part in (when, where) if part)


def render_not_found(answer: Answer, threshold: float | None = None, max_passages: int = 3) -> str:
    """The abstention message: what was not found, and where the closest text is."""
    lines = [NOT_FOUND]
    if answer.passages:
        # the threshold applies to the reader's score, so that is what this compares
        best = f"best match: reader score {format_confidence(answer.score)}"
        if threshold is not None:
            best += f", below the {format_confidence(threshold)} threshold"
        lines[0] += f" ({best})"
        passages = []
        for number, hit in enumerate(answer.passages[:max_passages], start=1):
            meta = _meta(hit.chunk.title, hit.chunk.date)
            head = f"[{number}] " + (f"{meta} · " if meta else "") + f"<small>{_code(passage_label(hit))}</small>"
            passages.append(head + "\n" + _blockquote(escape_markdown(_snippet(hit.chunk.text))))
        # the verdict stays the message; near misses are secondary, collapsed until asked for
        lines.append(f"<details><summary>{NEAR_MISSES}</summary>\n\n" + "\n\n".join(passages) + "\n\n</details>")
    return "\n\n".join(lines)


# ------------------------------------------------------------------------- HTML


def _line_html(raw: str, start: int = 0, end: int = 0) -> str:
    """One source line as a reader sees it: a seed file's ``date 2022-03-02 Headline``
    line as the headline and its date, a ``- standfirst`` line as the standfirst,
    without the file's markers; `start:end` (offsets into `raw`) highlighted."""
    dated = _DATE_LINE.match(raw)
    if dated:
        cut = dated.end()
        head = _highlight_html(raw[cut:], start - cut, end - cut)
        return f'<span class="qa-headline">{head}</span> <span class="qa-date">{html.escape(dated.group(1))}</span>'
    stand = _STANDFIRST.match(raw)
    if stand:
        cut = stand.end()
        return f'<span class="qa-standfirst">{_highlight_html(raw[cut:], start - cut, end - cut)}</span>'
    return _highlight_html(raw, start, end)


def _highlight_html(raw: str, start: int, end: int) -> str:
    start, end = max(0, min(start, len(raw))), max(0, min(end, len(raw)))
    if start >= end:
        return html.escape(raw)
    return html.escape(raw[:start]) + f"<mark>{html.escape(raw[start:end])}</mark>" + html.escape(raw[end:])


def _cited_lines(citation: Citation) -> dict[int, str]:
    """Line number -> HTML of that line with its share of the span highlighted.

    A span that crosses lines has `quote` = the lines joined by "\\n", so offsets are
    walked line by line.
    """
    result: dict[int, str] = {}
    offset = 0
    for index, raw in enumerate(citation.quote.split("\n")):
        lo, hi = offset, offset + len(raw)
        result[citation.line + index] = _line_html(raw, max(citation.start, lo) - lo, min(citation.end, hi) - lo)
        offset = hi + 1
    return result


def _context(context: ContextFn | None, source: str, line: int, end_line: int, around: int) -> list[tuple[int, str]]:
    if context is None:
        return []
    try:
        return list(context(source, line, before=around, after=around + (end_line - line)))
    except Exception:  # noqa: BLE001 - a missing or changed file must not break the chat
        return []


def _lines_table(rows: Iterable[tuple[int, str, bool]]) -> str:
    body = "".join(
        f'<div class="qa-line{" qa-cited" if cited else ""}">'
        f'<span class="qa-ln">{number}</span><span class="qa-text">{text}</span></div>'
        for number, text, cited in rows
    )
    return f'<div class="qa-lines">{body}</div>'


def _card(number: int, label: str, title: str, date: str | None, lines_html: str) -> str:
    """A source card: headline and date first, the file:line it came from smaller after."""
    head = f'<span class="qa-ref">[{number}]</span> '
    if title.strip():
        head += f'<span class="qa-source-title">{html.escape(title)}</span> '
    if (date or "").strip():
        head += f'<span class="qa-date">{html.escape(date or "")}</span> '
    return (
        f'<div class="qa-source" data-ref="{number}">'
        f'<div class="qa-source-head">{head}<code class="qa-loc">{html.escape(label)}</code></div>'
        + lines_html
        + "</div>"
    )


def render_sources(
    answer: Answer | None,
    context: ContextFn | None = None,
    around: int = 2,
    max_passages: int = 3,
) -> str:
    """HTML for the sources panel: each cited line in its context, span highlighted.

    Every string from an article is HTML-escaped: uploaded files are untrusted.
    For an abstention the closest passages are shown instead, with nothing marked.
    """
    if answer is None:
        return '<div class="qa-sources-empty">Sources for the latest answer appear here.</div>'
    cards: list[str] = []
    if not answer.abstained and answer.citations:
        for number, citation in enumerate(answer.citations, start=1):
            cited = _cited_lines(citation)
            rows = [
                (n, cited[n] if n in cited else _line_html(text), n in cited)
                for n, text in _context(context, citation.source, citation.line, citation.end_line, around)
            ]
            if not any(is_cited for _, _, is_cited in rows):
                rows = [(n, text, True) for n, text in sorted(cited.items())]
            cards.append(_card(number, str(citation), citation.title, citation.date, _lines_table(rows)))
        heading = ""  # the panel itself is titled "Sources"
    else:
        for number, hit in enumerate(answer.passages[:max_passages], start=1):
            cards.append(_card(number, passage_label(hit), hit.chunk.title, hit.chunk.date, _passage_lines(hit)))
        heading = "Closest passages (no answer found)" if cards else "No passages matched"
    title = f'<div class="qa-sources-title">{heading}</div>' if heading else ""
    return f'<div class="qa-sources">{title}{"".join(cards)}</div>'


def _passage_lines(hit: Hit) -> str:
    """A retrieved passage as numbered source lines (raw lines where the index kept them)."""
    rows: list[tuple[int, str, bool]] = []
    seen: set[int] = set()
    for piece in hit.chunk.pieces:
        if piece.line in seen:
            continue
        seen.add(piece.line)
        raw = hit.chunk.quotes.get(piece.line)
        if raw is None:
            raw = hit.chunk.text[piece.start : piece.start + piece.length]
        rows.append((piece.line, _line_html(_snippet(raw, 600)), False))
    if not rows:
        rows = [(0, html.escape(_snippet(hit.chunk.text, 600)), False)]
    return _lines_table(rows)


# ------------------------------------------------------------------ article list


def render_articles(articles: Sequence[dict]) -> str:
    """HTML list of indexed articles grouped by file: what a question can be answered from.

    A seed file holds a main story plus related stories, and a JSONL file many
    records, so each file shows its article and passage counts, then its headlines.
    """
    if not articles:
        return '<div class="qa-sources-empty">No articles indexed yet.</div>'
    files: dict[str, list[dict]] = {}
    for article in articles:
        files.setdefault(str(article.get("source", "")).split("#", 1)[0], []).append(article)
    blocks = []
    for name in sorted(files):
        items = files[name]
        passages = sum(int(a.get("chunks", 0)) for a in items)
        rows = "".join(
            f'<li><span class="qa-art-title">{html.escape(str(a.get("title") or "(untitled)"))}</span>'
            + (f' <span class="qa-art-date">{html.escape(str(a["date"]))}</span>' if a.get("date") else "")
            + "</li>"
            for a in sorted(items, key=lambda a: (str(a.get("source", "")), str(a.get("title", ""))))
        )
        blocks.append(
            f'<div class="qa-art-file"><div class="qa-art-head"><code>{html.escape(name)}</code> '
            f'<span class="qa-art-count">{_plural(len(items), "article")} · {_plural(passages, "passage")}</span></div>'
            f"<ul>{rows}</ul></div>"
        )
    return f'<div class="qa-articles">{"".join(blocks)}</div>'


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def corpus_summary(articles: Sequence[dict]) -> str:
    """``2 files · 14 articles · 31 passages`` (a JSONL file holds many articles)."""
    files = {str(a.get("source", "")).split("#", 1)[0] for a in articles}
    passages = sum(int(a.get("chunks", 0)) for a in articles)
    return " · ".join((_plural(len(files), "file"), _plural(len(articles), "article"), _plural(passages, "passage")))


# ------------------------------------------------------------------ chat history


def message_text(content: object) -> str:
    """The text of a chat message in any shape Gradio hands back.

    Gradio 6 normalises `content` to a list of ``{"type": "text", "text": ...}`` blocks
    on the way in, but accepts a plain string on the way out.
    """
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("value") or "")
    if isinstance(content, (list, tuple)):
        return "\n".join(filter(None, (message_text(part) for part in content)))
    return ""


def user_questions(messages: Sequence[dict] | None) -> list[str]:
    """Earlier questions of the conversation, oldest first (what follow-ups resolve against)."""
    questions = []
    for message in messages or []:
        if message.get("role") == "user":
            text = message_text(message.get("content")).strip()
            if text:
                questions.append(text)
    return questions
