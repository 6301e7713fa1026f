"""End to end in a real browser: `python app.py` driven by Playwright in Debian's Chromium.

One app process (over a temporary copy of seeds/, so uploads never touch the repo)
serves the whole module, but every test opens its own page (a fresh chat) and sets up
what it checks itself, so the tests pass in any order or alone: ask, follow up, upload
an article and ask about it, hit a question the articles can't answer. Screenshots go to
test-artifacts/ (gitignored; docs/screenshot.png is copied from there). Every request a
page makes is recorded; one test asserts none of a whole session's left the machine.

Waits use Playwright's auto-retrying `expect(...)` with generous timeouts: they are
deadlines for a slow CI box, never assertions about speed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from qa.config import Settings

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
SEED = "000_40ab86d132b0175c.txt"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_S = 180  # server up (imports gradio)
LOAD_MS = 600_000  # first index build + reader load on a busy 2-core box
ANSWER_MS = 180_000
UPLOADED = """Harbour reopens after storm
The port of Valdris reopened on Monday after Storm Elena had closed it for nine days.
Harbour master Ines Okafor said 212 cargo ships had been waiting offshore for the storm to pass.
Repairs to the northern breakwater will cost an estimated 14 million euros, the city council said.
"""

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (python) not installed")
expect = sync_api.expect


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """`python app.py` on a free loopback port over a throwaway corpus and index."""
    from qa.evaluate.load import app_process

    work = tmp_path_factory.mktemp("browser-app")
    corpus = work / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT / "seeds" / SEED, corpus / SEED)
    log = work / "app.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    args = ["--corpus", str(corpus), "--index-dir", str(work / "index"), "--host", "127.0.0.1"]
    try:
        with app_process(args, log, cwd=ROOT, env=env, startup_s=STARTUP_S) as url:
            yield {"url": url, "corpus": corpus}
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(log, ARTIFACTS / "app.log")


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def session(app: dict, browser) -> Iterator[dict]:
    """A fresh page (its own chat) on the app, plus every URL that page requested."""
    ARTIFACTS.mkdir(exist_ok=True)
    requested: list[str] = []
    context = browser.new_context(
        viewport={"width": 1440, "height": 960}, permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    page.on("request", lambda request: requested.append(request.url))
    page.goto(app["url"])
    yield {"page": page, "requested": requested, "corpus": app["corpus"]}
    context.close()


def _ready(page) -> None:
    """Wait until the index and models are loaded (the first test to run pays for it)."""
    expect(page.locator("#status")).to_contain_text("Ready", timeout=LOAD_MS)


def _files(corpus: Path) -> str:
    """How the status line counts the corpus's article files right now."""
    n = sum(1 for p in corpus.rglob("*") if p.is_file() and p.suffix in (".txt", ".md", ".jsonl"))
    return f"{n} file{'s' if n != 1 else ''}"


def _shot(page, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def _ask(page, question: str):
    """Type a question, press Enter; return the locator of the new assistant reply."""
    replies = page.locator("#chat [data-testid='bot']")
    before = replies.count()
    box = page.locator("#question textarea")
    box.click()
    box.press_sequentially(question)  # typed, key by key, like a person
    box.press("Enter")
    expect(replies).to_have_count(before + 1, timeout=ANSWER_MS)
    return replies.nth(before)


def test_page_shows_at_once_and_reports_when_the_index_is_ready(session: dict) -> None:
    page = session["page"]
    expect(page.locator("#question textarea")).to_be_visible()
    expect(page.locator(".chip")).to_have_count(4)
    _ready(page)
    expect(page.locator("#status")).to_contain_text(_files(session["corpus"]))


def test_question_is_answered_with_bold_span_confidence_and_line_citation(session: dict) -> None:
    page = session["page"]
    _ready(page)
    reply = _ask(page, "What was the UNGA vote?")
    expect(reply).to_contain_text("141 to 5", timeout=ANSWER_MS)
    expect(reply).not_to_contain_text("couldn't find")
    # the citation leads with the story (headline, date), the file:line after it, smaller
    expect(reply).to_contain_text(
        f"[1] UNGA votes demanding Russia's withdrawal from Ukraine, ceasefire talks likely tomorrow · 2022-03-02 · {SEED}:4"
    )
    expect(reply.locator("small code")).to_contain_text(f"{SEED}:4")
    expect(reply).to_contain_text("confidence")
    expect(reply.locator("blockquote strong").first).to_contain_text("141 to 5")
    expect(reply.locator("blockquote")).to_contain_text("The vote was")  # the whole source line
    # the sources panel: the cited line in context, the span highlighted, headline and date
    sources = page.locator("#sources")
    expect(sources.locator(".qa-cited")).to_contain_text("The vote was")
    expect(sources.locator("mark").first).to_contain_text("141 to 5")
    expect(sources).to_contain_text(f"{SEED}:4")
    expect(sources).to_contain_text("2022-03-02")
    expect(sources.locator(".qa-line")).to_have_count(5)  # two lines either side
    # news, not file markup: the headline leads the card, line 2 reads as the standfirst
    expect(sources.locator(".qa-source-title")).to_contain_text("UNGA votes demanding")
    expect(sources.locator(".qa-standfirst")).to_contain_text("Russia-Ukraine conflict:")
    expect(sources).not_to_contain_text("- Russia-Ukraine")
    _shot(page, "01-answer")


def test_copy_button_copies_the_answer_with_its_citation(session: dict) -> None:
    page = session["page"]
    _ready(page)
    expect(_ask(page, "What was the UNGA vote?")).to_contain_text("141 to 5", timeout=ANSWER_MS)
    page.locator("#chat [data-testid='bot']").last.hover()
    page.locator("#chat button[aria-label='Copy message']").last.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "141 to 5" in copied and f"`{SEED}:4`" in copied


def test_follow_up_uses_the_conversation(session: dict) -> None:
    page = session["page"]
    _ready(page)
    expect(_ask(page, "What was the UNGA vote?")).to_contain_text("141 to 5", timeout=ANSWER_MS)
    reply = _ask(page, "How many abstained?")
    expect(reply).to_contain_text("34", timeout=ANSWER_MS)
    expect(reply).not_to_contain_text("couldn't find")
    expect(reply.locator("blockquote strong").first).to_contain_text("34")  # the answer span itself
    expect(reply).to_contain_text(f"{SEED}:4")
    _shot(page, "02-follow-up")


def test_clear_chat_then_an_example_chip_asks_its_question(session: dict) -> None:
    page = session["page"]
    _ready(page)
    _ask(page, "Where will the ceasefire talks be held?")
    page.locator("#clear").click()
    expect(page.locator("#chat [data-testid='bot']")).to_have_count(0)
    expect(page.locator("#sources")).to_contain_text("appear here")
    page.locator(".chip", has_text="What was the UNGA vote?").click()
    expect(page.locator("#chat [data-testid='user']")).to_have_text("What was the UNGA vote?")
    reply = page.locator("#chat [data-testid='bot']")
    expect(reply).to_have_count(1, timeout=ANSWER_MS)
    expect(reply).not_to_contain_text("couldn't find")
    expect(reply.locator("blockquote strong").first).to_contain_text("141 to 5")


def _upload(page, path: Path, content: str | bytes) -> None:
    """Write `content` to `path` and upload it through the Articles panel (opened if shut)."""
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    if not page.locator("#upload").is_visible():
        page.locator("#articles-panel").get_by_text("Articles").first.click()
    page.locator("#upload input[type=file]").set_input_files(str(path))


def test_uploaded_article_is_indexed_and_answerable(session: dict, tmp_path: Path) -> None:
    page = session["page"]
    _ready(page)
    _upload(page, tmp_path / "harbour.txt", UPLOADED)
    status = page.locator("#upload-status")
    expect(status).to_contain_text("uploads/harbour.txt", timeout=ANSWER_MS)
    expect(status).to_contain_text("1 added")
    expect(page.locator("#articles")).to_contain_text("uploads/harbour.txt")
    expect(page.locator("#status")).to_contain_text(_files(session["corpus"]))
    _shot(page, "03-uploaded")

    reply = _ask(page, "How many cargo ships had been waiting offshore?")
    expect(reply).to_contain_text("212", timeout=ANSWER_MS)
    expect(reply).not_to_contain_text("couldn't find")
    expect(reply.locator("blockquote strong").first).to_contain_text("212")
    expect(reply).to_contain_text("[1] Harbour reopens after storm · uploads/harbour.txt:3")
    _shot(page, "04-answer-from-upload")


def test_an_uploaded_article_can_be_removed_from_the_page(session: dict, tmp_path: Path) -> None:
    page = session["page"]
    _ready(page)
    _upload(
        page,
        tmp_path / "lighthouse.txt",
        "Lighthouse keeper retires\nThe keeper of the Skarvik lighthouse, Odd Brennan, retired after 41 years.\n",
    )
    expect(page.locator("#upload-status")).to_contain_text("uploads/lighthouse.txt", timeout=ANSWER_MS)
    expect(page.locator("#articles")).to_contain_text("uploads/lighthouse.txt")
    page.locator("#uploaded input").click()
    page.get_by_role("option", name="uploads/lighthouse.txt").click()
    page.locator("#remove-upload").click()
    expect(page.locator("#upload-status")).to_contain_text("Removed uploads/lighthouse.txt", timeout=ANSWER_MS)
    expect(page.locator("#articles")).not_to_contain_text("uploads/lighthouse.txt")
    assert not (session["corpus"] / "uploads" / "lighthouse.txt").exists()
    reply = _ask(page, "How many years did Odd Brennan keep the Skarvik lighthouse?")
    expect(reply).not_to_contain_text("lighthouse.txt")  # gone from the index too


def test_a_bad_upload_is_refused_with_a_reason(session: dict, tmp_path: Path) -> None:
    page = session["page"]
    _ready(page)
    _upload(page, tmp_path / "notes.txt", "Caf\xe9 reopens\nThe caf\xe9 reopened.".encode("latin-1"))
    expect(page.locator("#upload-status")).to_contain_text("not UTF-8 text", timeout=ANSWER_MS)


def test_a_file_gradio_refuses_clears_the_previous_upload_status(session: dict, tmp_path: Path) -> None:
    page = session["page"]
    _ready(page)
    _upload(page, tmp_path / "notes.txt", "Caf\xe9 reopens".encode("latin-1"))
    status = page.locator("#upload-status")
    expect(status).to_contain_text("not UTF-8 text", timeout=ANSWER_MS)
    _upload(page, tmp_path / "huge.txt", "Headline\n" + "A long line of news.\n" * 300_000)  # over 5 MB
    expect(status).not_to_contain_text("not UTF-8 text", timeout=ANSWER_MS)  # not left as if about huge.txt
    assert not (session["corpus"] / "uploads" / "huge.txt").exists()


def test_unanswerable_question_abstains_with_closest_passages(session: dict) -> None:
    page = session["page"]
    _ready(page)
    reply = _ask(page, "What did the Mars rover find on Titan?")
    expect(reply).to_contain_text("I couldn't find that in the articles", timeout=ANSWER_MS)
    expect(reply.get_by_text("I couldn't find that in the articles")).to_be_visible()  # the verdict
    # the near misses are secondary: collapsed under a summary until opened
    details = reply.locator("details")
    expect(details).to_have_count(1)
    expect(details.locator("summary")).to_contain_text("Closest passages (not answers)")
    assert details.evaluate("d => d.open") is False
    expect(details.locator("blockquote").first).to_be_hidden()
    expect(reply.locator("blockquote strong")).to_have_count(0)
    expect(page.locator("#sources")).to_contain_text("no answer found")
    _shot(page, "05-not-found")


def test_two_visitors_keep_their_own_settings(app: dict, browser) -> None:
    """Settings are per visitor: one sets threshold 1.0 and abstains, the other keeps the
    default and still gets the answer; neither sees a server path for the reader."""
    strict, default = browser.new_context(), browser.new_context()
    try:
        a, b = strict.new_page(), default.new_page()
        a.goto(app["url"])
        b.goto(app["url"])
        _ready(a)
        _ready(b)
        a.locator("#settings-panel").get_by_text("Settings").first.click()
        number = a.locator("#threshold input[type=number]")
        shown = f"{Settings().abstain_below:g}"  # the default reader's own threshold, as the slider shows it
        expect(number).to_have_value(shown)
        for _ in range(5):  # the slider, mounting as the panel opens, may reset a value typed at once
            number.fill("1")
            number.press("Enter")
            a.wait_for_timeout(200)
            if number.input_value() == "1":
                break
        expect(number).to_have_value("1")
        expect(a.locator("#reader-name")).to_contain_text("Reader: bundled reader")
        expect(a.locator("#settings-panel")).not_to_contain_text("reader_model")  # no server path
        # the only text boxes are the visitor's filters: no box for a reader path
        boxes = a.locator("#settings-panel textarea, #settings-panel input[type=text]")
        expect(boxes).to_have_count(3)
        for box in ("#since", "#until", "#sources-filter"):
            expect(a.locator(f"#settings-panel {box}")).to_have_count(1)

        expect(_ask(a, "What was the UNGA vote?")).to_contain_text("couldn't find", timeout=ANSWER_MS)
        expect(_ask(b, "What was the UNGA vote?")).to_contain_text("141 to 5", timeout=ANSWER_MS)
        b.locator("#settings-panel").get_by_text("Settings").first.click()
        expect(b.locator("#threshold input[type=number]")).to_have_value(shown)
        expect(_ask(a, "What was the UNGA vote?")).to_contain_text("couldn't find", timeout=ANSWER_MS)
    finally:
        strict.close()
        default.close()


def test_a_date_filter_in_settings_applies_to_the_question_and_is_shown(app: dict, browser) -> None:
    """A visitor's own page: an "Articles dated from" after the seed article's date
    leaves nothing to answer from, and the reply says which filter applied."""
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(app["url"])
        _ready(page)
        page.locator("#settings-panel").get_by_text("Settings").first.click()
        page.locator("#since input, #since textarea").first.fill("2023-01-01")
        reply = _ask(page, "What was the UNGA vote?")
        expect(reply).to_contain_text("Only articles dated from 2023-01-01")
        expect(reply).to_contain_text("couldn't find")
        page.locator("#since input, #since textarea").first.fill("")
        page.locator("#sources-filter input, #sources-filter textarea").first.fill("000_40ab86d132b0175c.txt")
        reply = _ask(page, "What was the UNGA vote?")
        expect(reply).to_contain_text("Only articles from 000_40ab86d132b0175c.txt")
        expect(reply.locator("blockquote strong").first).to_contain_text("141 to 5")
    finally:
        context.close()


def test_an_overlong_pasted_question_is_refused_not_cut(session: dict) -> None:
    page = session["page"]
    _ready(page)
    box = page.locator("#question textarea")
    pasted = "What was the UNGA vote? " + "x" * 600
    box.fill(pasted)  # pasted at once; the box does not cut it
    box.press("Enter")
    reply = page.locator("#chat [data-testid='bot']")
    expect(reply).to_have_count(1, timeout=ANSWER_MS)
    expect(reply).to_contain_text("the limit is 500")
    expect(reply).not_to_contain_text("141 to 5")
    expect(page.locator("#chat [data-testid='user']")).to_have_count(0)  # nothing was asked
    expect(box).to_have_value(pasted)  # kept, to shorten


def test_a_whole_session_makes_no_requests_off_this_machine(session: dict) -> None:
    page = session["page"]
    _ready(page)
    expect(_ask(page, "What was the UNGA vote?")).to_contain_text("141 to 5", timeout=ANSWER_MS)
    page.locator("#articles-panel").get_by_text("Articles").first.click()
    page.locator("#settings-panel").get_by_text("Settings").first.click()
    hosts = {
        urlparse(url).hostname for url in session["requested"] if urlparse(url).scheme in ("http", "https", "ws", "wss")
    }
    assert session["requested"], "no requests were recorded at all"
    assert hosts <= {"127.0.0.1", "localhost"}, f"the page contacted {sorted(hosts - {'127.0.0.1', 'localhost'})}"
