"""The Gradio Blocks app: chat, sources panel, uploads, settings, and a JSON API route.

This is the only module that imports Gradio. Handlers are thin: the formatting is in
`qa.ui.render`, upload safety in `qa.ui.uploads`, and the assistant's lifecycle
(background loading, several questions at once, uploads alone) in `qa.ui.service`.

Layout: the chat on the left with example-question chips under it; on the right
a sources panel for the latest answer, the article list with uploads, and settings.
The page is served before the index is ready; a timer polls the loader and fills in
the status line and article list when it finishes.
"""

from __future__ import annotations

import os

from qa.config import models_offline

# Before gradio is imported: no analytics or version-check requests, ever, and no hub
# lookups by the huggingface_hub it imports.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")  # Gradio pings its own URL at launch
models_offline()

import logging
from pathlib import Path
from typing import Any

import gradio as gr

from qa.config import MAX_QUESTION_CHARS
from qa.errors import NewsQAError
from qa.types import Answer, Filter
from qa.ui import render
from qa.ui.service import AssistantNotReady, AssistantService
from qa.ui.uploads import ALLOWED_SUFFIXES, MAX_UPLOAD_BYTES, list_uploads, remove_upload, save_uploads

log = logging.getLogger(__name__)

EXAMPLES = (
    "What was the UNGA vote?",
    "How many abstained?",
    "Which countries spoke up for Russia?",
    "Where will the ceasefire talks be held?",
)
ANSWER_WAIT_S = 900.0  # a question asked while the index loads waits for it
# Questions (chat and /ask) are answered up to this many at once. On 2 cores a new question
# costs the same CPU however it is scheduled, but answers from the cache, waits for an
# upload and the Python around the reader no longer queue behind one another
# (scripts/bench_load.py). More would only queue inside the process instead of in
# Gradio's queue, where the page shows the place in line.
MAX_CONCURRENT_ANSWERS = 8
ANSWERS = "answers"  # Gradio concurrency group of the answering events
UPLOADS = "uploads"  # one upload at a time; it then holds the assistant alone to re-index

# Gradio refuses some files in the browser (over the size limit) without calling the server,
# so the last upload's status would stay as if it described them: any new pick or drop on
# the uploader first clicks a hidden button that clears it.
CLEAR_STALE_UPLOAD_STATUS = """() => {
  const reset = (event) => {
    const target = event.target;
    if (target && target.closest && target.closest("#upload")) document.querySelector("#upload-reset")?.click();
  };
  document.addEventListener("change", reset, true);
  document.addEventListener("drop", reset, true);
}"""

CSS = """
#status { min-height: 1.6em; }
#status p { margin: 0; font-size: 0.9em; color: var(--body-text-color-subdued); }
.chips { gap: 6px !important; flex-wrap: wrap; }
.chips button { flex: 0 0 auto !important; min-width: 0 !important; border-radius: 999px !important; }
.qa-sources-title { font-weight: 600; margin-bottom: 6px; }
.qa-source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px; margin-bottom: 10px; }
.qa-source-head { margin-bottom: 6px; }
.qa-source-head code.qa-loc { font-size: 0.78em; color: var(--body-text-color-subdued); }
.qa-ref { font-weight: 700; }
.qa-source-title { font-weight: 600; }
.qa-date { font-size: 0.85em; color: var(--body-text-color-subdued); }
.qa-headline { font-weight: 600; }
.qa-standfirst { font-style: italic; }
.qa-line { display: flex; gap: 8px; font-size: 0.88em; line-height: 1.4; padding: 2px 0; }
.qa-ln { flex: 0 0 2.2em; text-align: right; color: var(--body-text-color-subdued); font-variant-numeric: tabular-nums; }
.qa-cited { background: var(--color-accent-soft); border-radius: 4px; }
.qa-text mark { background: #ffe066; color: inherit; padding: 0 1px; border-radius: 2px; }
.qa-articles { max-height: 360px; overflow-y: auto; font-size: 0.88em; }
.qa-art-file { margin-bottom: 8px; }
.qa-art-count, .qa-art-date { color: var(--body-text-color-subdued); font-size: 0.9em; }
.qa-articles ul { margin: 2px 0 0 1.1em; padding: 0; }
.qa-hidden { display: none !important; }
.qa-sources-empty { color: var(--body-text-color-subdued); font-size: 0.9em; }
"""


# --------------------------------------------------------------------- helpers


def _status_text(service: AssistantService) -> str:
    status = service.status()
    if status.error and not status.ready:
        return f"⚠ Could not load the assistant: {render.escape_markdown(status.error)}"
    if status.loading:
        return f"{status.message}"
    try:
        summary = render.corpus_summary(service.get(timeout=0).articles())
    except Exception as err:  # noqa: BLE001 - a status line must never raise
        summary = f"article list unavailable ({err})"
    warning = f" · ⚠ {render.escape_markdown(status.error)}" if status.error else ""
    return f"✓ Ready · {summary} · {_corpus_text(service)}{warning}"


def _corpus_text(service: AssistantService) -> str:
    """Which corpus paths the app serves, and whether they are the index's stored corpus."""
    corpus = service.corpus
    paths = ", ".join(render.code(str(p)) for p in corpus.paths)
    text = f"{'the index’s stored corpus' if corpus.stored else 'corpus'} {paths}"
    if corpus.note:
        text += f" · ⚠ {render.escape_markdown(corpus.note)}"
    return text


def _article_list(service: AssistantService) -> str:
    try:
        return render.render_articles(service.get(timeout=0).articles())
    except AssistantNotReady:
        return render.render_articles([])
    except Exception as err:  # noqa: BLE001 - a listing error must not break the page
        return f"Article list unavailable: {err}"


def _uploaded(service: AssistantService) -> Any:
    """The remove-an-upload dropdown, listing the uploaded articles now on disk."""
    target = service.corpus.upload_dir
    choices = list_uploads(target) if target is not None else []
    return gr.Dropdown(choices=choices, value=None, interactive=bool(choices))


def _filter(since: str | None, until: str | None, sources: str | list[str] | None) -> Filter:
    """The visitor's filter from the settings panel (or /ask): dates "YYYY-MM-DD" or
    empty; sources as a list or one comma-separated string. A bad date is a FilterError."""
    if isinstance(sources, str):
        sources = [part.strip() for part in sources.split(",")]
    patterns = [p for p in (sources or []) if p and p.strip()]
    return Filter.of((since or "").strip() or None, (until or "").strip() or None, patterns or None)


def _answer(
    service: AssistantService,
    question: str,
    history: list[str],
    top_k: int | None,
    threshold: float | None,
    where: Filter | None = None,
) -> tuple[Answer, render.ContextFn | None, float]:
    """Ask the assistant, waiting for the first load if needed.

    Returns the answer, the assistant's context-line lookup (for the sources panel,
    taken while the lock is held so it matches the index that answered) and the
    threshold that applied (for "below the 50% threshold").
    """
    with service.using(timeout=ANSWER_WAIT_S) as bot:
        answer = bot.answer(question, history=history, top_k=top_k, threshold=threshold, filter=where)
        used = bot.settings.abstain_below if threshold is None else threshold
        return answer, getattr(bot, "context_lines", None), used


# --------------------------------------------------------------------- the app


def build_app(
    service: AssistantService, examples: tuple[str, ...] = EXAMPLES, concurrency: int = MAX_CONCURRENT_ANSWERS
) -> gr.Blocks:
    """The Blocks app over `service` (which the caller starts; see `launch`), answering
    up to `concurrency` questions at once."""
    settings = service.settings

    def add_question(message: str, chat: list[dict]) -> tuple[Any, list[dict]]:
        # shown as the assistant will read it: no terminal escapes or control characters
        # (qa.assistant needs no torch, and the loader thread has imported it already)
        from qa.assistant import clean_text

        message = clean_text(message or "")
        if not message:
            return gr.skip(), chat
        if len(message) > MAX_QUESTION_CHARS:  # refused whole, never cut and answered; the text
            # stays in the box to shorten, and `respond` asks nothing (the last message is ours)
            return gr.skip(), [*chat, {"role": "assistant", "content": f"⚠ {render.too_long(len(message))}"}]
        return "", [*chat, {"role": "user", "content": message}]

    def respond(
        chat: list[dict], top_k: float, threshold: float, since: str, until: str, sources: str
    ) -> tuple[list[dict], str]:
        questions = render.user_questions(chat)
        if not chat or chat[-1].get("role") != "user" or not questions:
            return chat, gr.skip()
        question, earlier = questions[-1], questions[:-1]
        try:
            where = _filter(since, until, sources)
            answer, context, used_threshold = _answer(service, question, earlier, int(top_k), float(threshold), where)
        except AssistantNotReady as err:
            return [*chat, {"role": "assistant", "content": f"{err}"}], gr.skip()
        except NewsQAError as err:  # the question or a setting was refused (empty, too long, top-k 0)
            return [*chat, {"role": "assistant", "content": f"⚠ {render.escape_markdown(str(err))}"}], gr.skip()
        except Exception as err:  # the chat must keep working; logged with its traceback
            log.exception("answering %r failed", question)
            message = f"⚠ Something went wrong: {render.escape_markdown(str(err))}"
            return [*chat, {"role": "assistant", "content": message}], gr.skip()
        reply = render.render_reply(answer, threshold=used_threshold)
        return [*chat, {"role": "assistant", "content": reply}], render.render_sources(answer, context)

    def upload(
        files: list[str] | None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - how Gradio injects a progress bar
    ) -> tuple[str, Any, Any, str, Any]:
        if not files:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        progress(0, desc="Checking files…")
        target = service.corpus.upload_dir
        if target is None:
            names = ", ".join(render.code(Path(f).name) for f in files)
            message = f"✗ {names}: not saved, the corpus has no folder to add articles to (start the app with one)"
            return message, None, gr.skip(), gr.skip(), gr.skip()
        saved, errors = save_uploads(files, target)
        lines: list[str] = []
        for item in saved:
            count = f"{item.articles} article{'s' if item.articles != 1 else ''}"
            lines.append(f"✓ `{item.source}`: {count}{' (already there)' if item.already_present else ''}")
            lines.extend(f"⚠ {render.escape_markdown(note)}" for note in item.notes)
        if saved:
            try:
                with service.exclusive(timeout=ANSWER_WAIT_S) as bot:
                    report = bot.refresh(
                        progress=lambda done, total, message: progress((done, max(total, 1)), desc=message)
                    )
                lines.append(f"Index updated: {report}. Ask away.")
            except Exception as err:  # the file is saved; say indexing failed, log why
                log.exception("indexing uploads failed")
                lines.append(f"⚠ Saved, but indexing failed: {err}")
        lines.extend(f"✗ {render.escape_markdown(error)}" for error in errors)
        return "\n\n".join(lines), None, _article_list(service), _status_text(service), _uploaded(service)

    def remove(source: str | None) -> tuple[str, Any, str, Any]:
        """Delete one uploaded article and drop it from the index."""
        target = service.corpus.upload_dir
        if not source or target is None:
            return "Pick an uploaded article to remove.", gr.skip(), gr.skip(), _uploaded(service)
        try:
            remove_upload(source, target)
        except NewsQAError as err:
            return f"✗ {render.escape_markdown(str(err))}", gr.skip(), gr.skip(), _uploaded(service)
        try:
            with service.exclusive(timeout=ANSWER_WAIT_S) as bot:
                report = bot.refresh()
            message = f"✓ Removed {render.code(source)}; index updated: {report}."
        except Exception as err:  # the file is gone; say indexing failed, log why
            log.exception("re-indexing after removing %s failed", source)
            message = f"⚠ Removed {render.code(source)}, but re-indexing failed: {err}"
        return message, _article_list(service), _status_text(service), _uploaded(service)

    def poll() -> tuple[str, Any, Any, Any, Any]:
        status = service.status()
        if status.loading:
            return _status_text(service), gr.skip(), gr.skip(), gr.Timer(active=True), gr.skip()
        reader_line = f"Reader: **{render.escape_markdown(render.reader_name(service.settings.reader_path))}**"
        reader_line += " (chosen when the app starts)"
        return _status_text(service), _article_list(service), reader_line, gr.Timer(active=False), _uploaded(service)

    def ask(
        question: str,
        history: list[str] | None = None,
        top_k: int | None = None,
        threshold: float | None = None,
        since: str | None = None,
        until: str | None = None,
        sources: list[str] | None = None,
    ) -> dict:
        """Answer `question` from the indexed articles (dated `since`..`until`, "YYYY-MM-DD",
        and from `sources` patterns such as "uploads/" or "bbc.jsonl", when given).

        Returns the `Answer` as JSON: text, score, abstained, citations (source, line,
        quote, span offsets, title, date) and the retrieved passages. `history` is the
        list of earlier questions, for follow-ups such as "How many abstained?".
        """
        question = (question or "").strip()
        if not question:
            raise gr.Error("Ask a question.")
        try:
            where = _filter(since, until, sources)
            answer, _, _ = _answer(service, question, list(history or []), top_k, threshold, where)
        except NewsQAError as err:  # refused input, or still loading
            raise gr.Error(str(err)) from err
        return answer.to_dict()

    def articles() -> list[dict]:
        """The indexed articles: source, title, date and passage count of each."""
        return list(service.get(timeout=ANSWER_WAIT_S).articles())

    with gr.Blocks(title="newsqa · ask the news", analytics_enabled=False, fill_width=True) as demo:
        with gr.Row(equal_height=False):
            gr.Markdown("### newsqa — ask the news, get the line it came from")
        status = gr.Markdown("Starting…", elem_id="status")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                chatbot = gr.Chatbot(
                    elem_id="chat",
                    label="Chat",
                    show_label=False,  # the floating label covered the first message
                    height="62vh",
                    buttons=["copy", "copy_all"],
                    latex_delimiters=[],
                    feedback_options=None,
                    placeholder="Ask a question about the articles. Answers quote the exact source line.",
                )
                with gr.Row(elem_classes="chips"):
                    chips = [gr.Button(q, size="sm", variant="secondary", elem_classes="chip") for q in examples]
                with gr.Row(equal_height=True):
                    question = gr.Textbox(
                        elem_id="question",
                        show_label=False,
                        placeholder="e.g. What was the UNGA vote?",
                        scale=8,
                        autofocus=True,
                        submit_btn="Ask",
                    )
                    clear = gr.Button(
                        "Clear chat", elem_id="clear", size="sm", variant="secondary", scale=0, min_width=96
                    )
            with gr.Column(scale=2, min_width=320):
                with gr.Accordion("Sources", open=True, elem_id="sources-panel"):
                    sources = gr.HTML(render.render_sources(None), elem_id="sources")
                with gr.Accordion("Articles", open=False, elem_id="articles-panel"):
                    uploader = gr.File(
                        label=f"Add articles ({', '.join(ALLOWED_SUFFIXES)}; up to {MAX_UPLOAD_BYTES // 2**20} MB each)",
                        file_count="multiple",
                        file_types=list(ALLOWED_SUFFIXES),
                        type="filepath",
                        elem_id="upload",
                        height=140,
                    )
                    upload_status = gr.Markdown(elem_id="upload-status")
                    upload_reset = gr.Button("Clear upload status", elem_id="upload-reset", elem_classes="qa-hidden")
                    table = gr.HTML(render.render_articles([]), elem_id="articles")
                    with gr.Row(equal_height=True):
                        uploaded = gr.Dropdown(
                            choices=[],
                            label="Uploaded articles",
                            elem_id="uploaded",
                            interactive=False,
                            scale=4,
                        )
                        remove_button = gr.Button(
                            "Remove", elem_id="remove-upload", size="sm", variant="secondary", scale=1, min_width=80
                        )
                with gr.Accordion("Settings", open=False, elem_id="settings-panel"):
                    top_k = gr.Slider(
                        1, 20, value=settings.top_k, step=1, label="Passages to read (top-k)", elem_id="top-k"
                    )
                    threshold = gr.Slider(
                        0.0,
                        1.0,
                        value=settings.abstain_below,
                        step=0.01,
                        label="Abstention threshold (answers the reader scores below this are withheld)",
                        elem_id="threshold",
                    )
                    with gr.Row():
                        since = gr.Textbox(label="Articles dated from", placeholder="YYYY-MM-DD", elem_id="since")
                        until = gr.Textbox(label="to", placeholder="YYYY-MM-DD", elem_id="until")
                    sources_box = gr.Textbox(
                        label="Only these sources (comma-separated: a file, uploads/, bbc.jsonl#business/)",
                        placeholder="all sources",
                        elem_id="sources-filter",
                    )
                    gr.Markdown("These apply to your questions only; other visitors keep their own.")
                    reader_status = gr.Markdown(elem_id="reader-name")
        timer = gr.Timer(1.0)

        chat_inputs = [chatbot, top_k, threshold, since, until, sources_box]
        private = {"api_visibility": "private"}
        answering = {"concurrency_limit": concurrency}
        question.submit(add_question, [question, chatbot], [question, chatbot], queue=False, **private).then(
            respond, chat_inputs, [chatbot, sources], concurrency_id=ANSWERS, **answering, **private
        )
        for chip in chips:
            chip.click(add_question, [chip, chatbot], [question, chatbot], queue=False, **private).then(
                respond, chat_inputs, [chatbot, sources], concurrency_id=ANSWERS, **answering, **private
            )
        clear.click(
            lambda: ([], render.render_sources(None), ""), None, [chatbot, sources, question], queue=False, **private
        )
        chatbot.clear(lambda: render.render_sources(None), None, [sources], queue=False, **private)
        uploader.upload(
            upload,
            [uploader],
            [upload_status, uploader, table, status, uploaded],
            concurrency_id=UPLOADS,
            concurrency_limit=1,
            show_progress="full",
            **private,
        )
        upload_reset.click(lambda: "", None, [upload_status], queue=False, **private)
        remove_button.click(
            remove,
            [uploaded],
            [upload_status, table, status, uploaded],
            concurrency_id=UPLOADS,
            concurrency_limit=1,
            **private,
        )
        demo.load(None, None, None, js=CLEAR_STALE_UPLOAD_STATUS, **private)
        polled = [status, table, reader_status, timer, uploaded]
        timer.tick(poll, None, polled, show_progress="hidden", **private)
        demo.load(poll, None, polled, show_progress="hidden", **private)
        gr.api(ask, api_name="ask", concurrency_id=ANSWERS, **answering)
        gr.api(articles, api_name="articles")
    return demo


def launch(
    service: AssistantService,
    host: str = "127.0.0.1",
    port: int | None = None,
    share: bool = False,
    block: bool = True,
    concurrency: int = MAX_CONCURRENT_ANSWERS,
) -> gr.Blocks:
    """Start loading the assistant in the background, then serve the app at once,
    answering up to `concurrency` questions at a time (1: one after another)."""
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise ValueError(f"concurrency must be a whole number of at least 1, got {concurrency!r}")
    service.start()
    demo = build_app(service, concurrency=concurrency)
    demo.queue(default_concurrency_limit=1)
    demo.launch(
        server_name=host,
        server_port=port,
        share=share,
        inbrowser=False,
        prevent_thread_lock=not block,
        show_error=True,
        max_file_size=MAX_UPLOAD_BYTES,
        footer_links=["api", "settings"],
        run_history=False,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        css=CSS,
        theme=gr.themes.Default(primary_hue="blue"),
    )
    return demo
