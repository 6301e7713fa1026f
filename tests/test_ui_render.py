"""How answers look in the chat: bold span in its source line, citations, abstentions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from qa.types import Answer, Chunk, Citation, Hit, Piece
from qa.ui import render

SOURCE = "000_40ab86d132b0175c.txt"
LINE4 = "The vote was 141 to 5, with 34 abstentions. It came after the 193-member assembly convened."
TITLE = "UNGA votes demanding Russia's withdrawal from Ukraine"


def _citation(quote: str = LINE4, span: str = "141 to 5", line: int = 4, **kw: object) -> Citation:
    start = quote.index(span)
    return Citation(
        source=kw.pop("source", SOURCE),
        line=line,
        end_line=kw.pop("end_line", line),
        quote=quote,
        start=start,
        end=start + len(span),
        title=kw.pop("title", TITLE),
        date=kw.pop("date", "2022-03-02"),
    )


def _hit(text: str = LINE4, line: int = 4, source: str = SOURCE) -> Hit:
    chunk = Chunk(
        source=source,
        title=TITLE,
        date="2022-03-02",
        text=text,
        pieces=(Piece(start=0, length=len(text), line=line, col=0),),
        quotes={line: text},
    )
    return Hit(chunk=chunk, score=0.5, chunk_id=0)


def _answer(**kw: object) -> Answer:
    defaults: dict = dict(
        question="What was the UNGA vote?",
        text="141 to 5",
        score=0.873,
        abstained=False,
        citations=[_citation()],
        passages=[_hit()],
    )
    defaults.update(kw)
    return Answer(**defaults)


# ------------------------------------------------------------------ the reply


def test_reply_bolds_span_inside_full_line_with_confidence_and_numbered_citation() -> None:
    reply = render.render_reply(_answer())
    assert (
        "> The vote was **141 to 5**, with 34 abstentions. It came after the 193-member assembly convened. [1]" in reply
    )
    assert "confidence 87%" in reply
    # the story leads the citation; the file:line for checking follows, smaller
    assert (
        f"[1] *UNGA votes demanding Russia's withdrawal from Ukraine* · 2022-03-02 · <small>`{SOURCE}:4`</small>"
        in reply
    )


def test_reply_flags_an_answer_below_even_odds_as_unsure() -> None:
    sure, unsure = render.render_reply(_answer(score=0.87)), render.render_reply(_answer(score=0.3))
    assert "unsure" not in sure
    assert "**141 to 5** · confidence 30% · unsure, check the line" in unsure
    assert _answer(score=0.3).to_dict()["unsure"] and not _answer(score=0.3, abstained=True).unsure


def test_reply_numbers_every_citation_and_shows_line_ranges() -> None:
    second = _citation("Countries that spoke up\nfor Russia included Belarus.", "Belarus", line=5, end_line=6)
    reply = render.render_reply(_answer(citations=[_citation(), second]))
    assert f"[2] *{TITLE}* · 2022-03-02 · <small>`{SOURCE}:5-6`</small>" in reply
    assert "> for Russia included **Belarus**. [2]" in reply  # a two-line quote stays quoted


def test_follow_up_shows_what_was_searched() -> None:
    follow_up = _answer(question="How many abstained?", resolved_question="What was the UNGA vote? How many abstained?")
    assert render.render_reply(follow_up).startswith(
        "*Searched for: What was the UNGA vote? How many abstained?*\n\n**141 to 5**"
    )
    same = _answer(resolved_question="what was the UNGA vote?")
    assert render.render_reply(same).startswith("**141 to 5**")


def test_abstention_says_so_shows_closest_passages_and_never_the_span() -> None:
    answer = _answer(abstained=True, text="Belarus", score=0.12, citations=[])
    reply = render.render_reply(answer, threshold=0.5)
    assert reply.startswith(
        "I couldn't find that in the articles. (best match: reader score 12%, below the 50% threshold)"
    )
    assert f"`{SOURCE}:4`" in reply
    assert "**" not in reply.split(render.NEAR_MISSES)[1]  # nothing is presented as the answer


def test_abstention_keeps_the_verdict_and_collapses_the_near_misses() -> None:
    reply = render.render_reply(_answer(abstained=True, text="Belarus", score=0.12, citations=[]), threshold=0.5)
    verdict, _, rest = reply.partition("\n\n")
    assert verdict.startswith(render.NOT_FOUND) and "<details" not in verdict
    assert rest.startswith(f"<details><summary>{render.NEAR_MISSES}</summary>") and rest.endswith("</details>")
    assert "141 to 5" in rest and "<details open" not in rest  # collapsed until the reader opens it


def test_abstained_answer_with_citations_still_shows_no_span() -> None:
    reply = render.render_reply(_answer(abstained=True))
    assert "**141 to 5**" not in reply and reply.startswith(render.NOT_FOUND)


def test_abstention_without_passages_is_just_the_sentence() -> None:
    assert render.render_reply(_answer(abstained=True, citations=[], passages=[])) == render.NOT_FOUND


def test_markdown_in_article_text_is_escaped_not_rendered() -> None:
    quote = "# Breaking: *not* <script>alert(1)</script> [link](http://x) ~~gone~~ 5 & 6"
    md = render.bold_span(quote, quote.index("5 & 6"), len(quote))
    assert "<script>" not in md and "\\<script\\>" in md
    assert md.startswith("\\# Breaking: \\*not\\*") and "\\[link\\](http://x)" in md and "\\~\\~gone" in md
    assert md.endswith("**5 \\& 6**")


def test_bold_falls_back_to_strong_when_markdown_emphasis_would_not_open() -> None:
    quote = "Russia’s “aggression” against Ukraine"
    md = render.bold_span(quote, quote.index("“"), quote.index(" against"))
    assert md == "Russia’s **“aggression”** against Ukraine"  # after a space `**` still works
    quote = "it raised US$5m in aid"
    md = render.bold_span(quote, quote.index("$"), quote.index(" in"))
    assert md == "it raised US<strong>$5m</strong> in aid"  # `**` glued to a letter would not
    # whitespace at the span edges moves outside the markers
    assert render.bold_span("a  b  c", 1, 6) == "a  **b**  c"


def test_span_offsets_out_of_range_are_clamped() -> None:
    assert render.bold_span("abc", 1, 99) == "a**bc**"
    assert render.bold_span("abc", 2, 2) == "abc"


def test_confidence_is_clamped_whole_percent() -> None:
    assert [render.format_confidence(s) for s in (-0.1, 0.004, 0.5, 1.2)] == ["0%", "0%", "50%", "100%"]


# ---------------------------------------------------------- the sources panel


def _context(source: str, line: int, before: int = 2, after: int = 2) -> list[tuple[int, str]]:
    lines = {2: "- standfirst", 3: "The assembly voted <today>.", 4: LINE4, 5: "Countries spoke.", 6: "More."}
    return [(n, lines[n]) for n in range(line - before, line + after + 1) if n in lines]


def test_sources_panel_shows_context_highlights_span_and_escapes_html() -> None:
    html = render.render_sources(_answer(), _context)
    assert (
        f'<span class="qa-ref">[1]</span> <span class="qa-source-title">{TITLE.replace(chr(39), "&#x27;")}</span> '
        '<span class="qa-date">2022-03-02</span> <code class="qa-loc">000_40ab86d132b0175c.txt:4</code>'
    ) in html
    assert (
        '<div class="qa-line qa-cited"><span class="qa-ln">4</span><span class="qa-text">The vote was <mark>141 to 5</mark>, with'
        in html
    )
    assert '<span class="qa-ln">3</span><span class="qa-text">The assembly voted &lt;today&gt;.</span>' in html
    assert [n for n in range(1, 8) if f'<span class="qa-ln">{n}</span>' in html] == [2, 3, 4, 5, 6]


def test_sources_panel_shows_headline_date_and_standfirst_not_file_markers() -> None:
    lines = {1: " date 2022-03-02 UNGA votes <now>", 2: "- Ukrainian officials are expected in Belarus.", 3: LINE4}

    def context(source: str, line: int, before: int = 2, after: int = 2) -> list[tuple[int, str]]:
        return [(n, lines[n]) for n in range(line - before, line + after + 1) if n in lines]

    html = render.render_sources(_answer(citations=[_citation(line=3)]), context)
    assert '<span class="qa-headline">UNGA votes &lt;now&gt;</span> <span class="qa-date">2022-03-02</span>' in html
    assert '<span class="qa-standfirst">Ukrainian officials are expected in Belarus.</span>' in html
    assert "date 2022" not in html and "- Ukrainian" not in html
    # a span in a headline or standfirst line is still highlighted where it is
    cited = _citation(quote=lines[2], span="Belarus", line=2)
    html = render.render_sources(_answer(citations=[cited]), context)
    assert '<span class="qa-standfirst">Ukrainian officials are expected in <mark>Belarus</mark>.</span>' in html


def test_a_question_over_the_limit_is_refused_with_a_message() -> None:
    message = render.too_long(2400)
    assert "2,400 characters" in message and "500" in message and "Nothing was asked" in message


def test_reader_is_shown_by_name_never_by_server_path(tmp_path: Path) -> None:
    from qa.config import DEFAULT_READER_DIR

    assert render.reader_name(DEFAULT_READER_DIR).startswith("bundled reader")
    assert render.reader_name(tmp_path / "runs" / "reader-v7") == "reader-v7"
    assert str(tmp_path) not in render.reader_name(tmp_path / "runs" / "reader-v7")


def test_sources_panel_highlights_a_span_across_lines() -> None:
    quote = "first line ends here\nsecond starts"
    citation = Citation(SOURCE, 3, 4, quote, quote.index("here"), quote.index(" starts"), TITLE, None)
    html = render.render_sources(_answer(citations=[citation]), context=None)
    assert "first line ends <mark>here</mark>" in html and "<mark>second</mark> starts" in html


def test_sources_panel_survives_a_failing_context_lookup() -> None:
    def broken(*args: object, **kw: object) -> list[tuple[int, str]]:
        raise FileNotFoundError("article deleted")

    html = render.render_sources(_answer(), broken)
    assert "<mark>141 to 5</mark>" in html


def test_sources_panel_for_abstention_lists_passages_without_highlight() -> None:
    html = render.render_sources(_answer(abstained=True, citations=[]), _context)
    assert "Closest passages (no answer found)" in html and "<mark>" not in html
    assert "000_40ab86d132b0175c.txt:4" in html


def test_sources_panel_placeholder_before_any_question() -> None:
    assert "appear here" in render.render_sources(None)


# ------------------------------------------------------- articles and history


def test_article_list_groups_by_file_and_counts() -> None:
    articles = [
        {"source": "b.jsonl#2", "title": "Two <b>", "date": None, "chunks": 1},
        {"source": "a.txt", "title": "A", "date": "2022-03-02", "chunks": 3},
        {"source": "b.jsonl#1", "title": "One", "date": "2021-01-01", "chunks": 2},
    ]
    html = render.render_articles(articles)
    assert html.index("<code>a.txt</code>") < html.index("<code>b.jsonl</code>")
    assert '<code>b.jsonl</code> <span class="qa-art-count">2 articles · 3 passages</span>' in html
    assert '<span class="qa-art-title">Two &lt;b&gt;</span></li>' in html  # no date, escaped
    assert '<span class="qa-art-title">A</span> <span class="qa-art-date">2022-03-02</span>' in html
    assert "No articles" in render.render_articles([])
    assert render.corpus_summary(articles) == "2 files · 3 articles · 6 passages"
    assert render.corpus_summary(articles[:1]) == "1 file · 1 article · 1 passage"


def test_user_questions_reads_both_message_shapes() -> None:
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "What was the UNGA vote?"}]},
        {"role": "assistant", "content": "**141 to 5**"},
        {"role": "user", "content": "How many abstained?"},
        {"role": "user", "content": "   "},
    ]
    assert render.user_questions(messages) == ["What was the UNGA vote?", "How many abstained?"]
    assert render.user_questions(None) == []


def test_ui_helpers_do_not_import_gradio() -> None:
    """`import gradio` costs seconds; only qa.ui.app may pay it."""
    code = "import sys, qa, qa.ui.render, qa.ui.uploads, qa.ui.service; print('gradio' in sys.modules)"
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True)
    assert out.stdout.strip() == "False"
