"""The one `Assistant` behind the UI, loaded off the request path.

Loading models and the index takes seconds to minutes; the page must show at once.
`AssistantService` builds the assistant in a background thread as soon as the app
starts, reports progress for the status line, makes handlers wait (bounded) for it,
and keeps its users apart: questions are answered several at once (the assistant is
thread-safe, and concurrent reads share the reader's forward passes), while
re-indexing after an upload and swapping in a new assistant wait for the answers in
flight and hold it alone. Switching readers builds the new assistant while the old
one keeps answering, and swaps only if the new one loaded.

No Gradio here, and `qa.assistant` (torch, transformers) is imported only inside
the loader thread, so importing this module is cheap.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from qa.config import Settings, SettingsError
from qa.errors import NewsQAError

Progress = Callable[[int, int, str], None]  # (done, total, message), as `qa.store` reports it
Factory = Callable[[Settings, Progress], Any]  # -> Assistant


class SharedLock:
    """A readers-writer lock: many `shared()` holders at once, or one `exclusive()`.

    A waiting writer goes before readers that arrive after it, so a stream of questions
    cannot keep an upload's re-indexing waiting for ever.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writer and not self._writers_waiting)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            try:
                self._cond.wait_for(lambda: not self._writer and not self._readers)
            finally:
                self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class AssistantNotReady(NewsQAError):
    """The assistant is still loading, or failed to load; the message says which."""


@dataclass(frozen=True)
class Status:
    """What the status line shows."""

    ready: bool
    loading: bool
    message: str
    error: str | None = None


@dataclass(frozen=True)
class Corpus:
    """The corpus paths the app serves, and what choosing them did to the index."""

    paths: tuple[Path, ...]
    stored: bool  # True: the index's own stored corpus (no --corpus given)
    note: str = ""  # said in the log and the status line when --corpus differs from the index's

    @property
    def upload_dir(self) -> Path | None:
        """Where uploads go (under its `uploads/`): the first folder among the paths."""
        return next((p for p in self.paths if p.is_dir()), None)


def resolve_corpus(settings: Settings, given: Sequence[Path] | None = None) -> Corpus:
    """The app's corpus, as `qa ask` picks it: `given` (--corpus) if any, else the paths the
    index at `settings.index_dir` records, else `settings.corpus_dir` for a new index.

    Paths other than the index's are served (the app was told to), but never silently:
    the note says what the index drops and re-embeds for them.
    """
    from qa.store import CorpusIndex  # numpy; kept off this module's import

    stored = CorpusIndex.stored_roots(settings.index_dir)
    if not given:
        return Corpus(tuple(stored or [settings.corpus_dir]), stored=bool(stored))
    paths = tuple(Path(p) for p in given)
    change = CorpusIndex.corpus_change(settings.index_dir, paths) if stored else None
    note = f"--corpus differs from the index's corpus: {change.describe()}" if change and change.changed else ""
    return Corpus(paths, stored=False, note=note)


def default_factory(settings: Settings, progress: Progress, corpus: Sequence[Path] | None = None) -> Any:
    """Open (load, update or build) the index of `corpus` (default `settings.corpus_dir`), then warm up.

    The models are loaded here rather than on the first question so that "Ready" means
    the first answer is fast, and so a bad reader path fails while the previous
    assistant is still in place.
    """
    from qa.assistant import Assistant  # heavy: torch + transformers

    assistant = Assistant.from_corpus(
        list(corpus or [settings.corpus_dir]),
        index_dir=settings.index_dir,
        settings=settings,
        progress=progress,
        bar=False,
    )
    progress(0, 1, "Loading the models")
    assistant.warm_up()
    return assistant


class AssistantService:
    """Holds the current assistant; thread-safe.

    `using()` lends it to answer questions, to several threads at once; `exclusive()`
    lends it alone, for changing its index (uploads). A new assistant is swapped in
    only when no one holds the old one.
    """

    def __init__(
        self, settings: Settings, factory: Factory | None = None, corpus: Sequence[Path] | None = None
    ) -> None:
        self.corpus = resolve_corpus(settings, corpus)
        self._factory = factory or partial(default_factory, corpus=list(self.corpus.paths))
        self._settings = settings.with_overrides(corpus_dir=self.corpus.paths[0])
        self._assistant: Any | None = None
        self._error: str | None = None
        self._loading = False
        self._message = "Not started"
        self._state = threading.Condition()
        self.lock = SharedLock()

    # ---------------------------------------------------------------- loading

    def start(self, settings: Settings | None = None) -> bool:
        """Begin loading in the background; False if a load is already running."""
        with self._state:
            if self._loading:
                return False
            target = settings or self._settings
            self._loading = True
            self._message = (
                "Loading the index and models…" if self._assistant is None else f"Loading reader {target.reader_path}…"
            )
        thread = threading.Thread(target=self._load, args=(target,), name="qa-ui-loader", daemon=True)
        thread.start()
        return True

    def _load(self, settings: Settings) -> None:
        try:
            assistant = self._factory(settings, self._report)
        except BaseException as err:  # noqa: BLE001 - shown in the page; the app keeps running
            traceback.print_exc()
            with self._state:
                self._loading = False
                self._error = f"{type(err).__name__}: {err}"
                self._message = "Loading failed" if self._assistant is None else "Kept the previous reader"
                self._state.notify_all()
            return
        with self.lock.exclusive(), self._state:
            self._assistant = assistant
            self._settings = getattr(assistant, "settings", settings)
            self._loading = False
            self._error = None
            self._message = "Ready"
            self._state.notify_all()

    def _report(self, done: int, total: int, message: str) -> None:
        """Loader progress for the status line ("Embedding passages 40/120…")."""
        counts = f" {done}/{total}" if total > 1 else ""
        with self._state:
            self._message = f"{message.rstrip('.… ')}{counts}…"

    def reload(self, **overrides: Any) -> bool:
        """Load a new assistant with `overrides` applied to the current settings.

        False if a load is already running, or if an override is out of range: then the
        status line shows why and the current assistant stays.
        """
        try:
            settings = self._settings.with_overrides(**overrides)
        except SettingsError as err:
            with self._state:
                self._error = str(err)
            return False
        return self.start(settings)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no load is running (or `timeout`); True if an assistant is ready."""
        with self._state:
            self._state.wait_for(lambda: not self._loading, timeout=timeout)
            return self._assistant is not None

    # ------------------------------------------------------------------ using

    @property
    def settings(self) -> Settings:
        return self._settings

    def status(self) -> Status:
        with self._state:
            return Status(
                ready=self._assistant is not None,
                loading=self._loading,
                message=self._message,
                error=self._error,
            )

    def get(self, timeout: float | None = None) -> Any:
        """The current assistant, waiting up to `timeout` for the first load."""
        with self._state:
            self._state.wait_for(lambda: self._assistant is not None or not self._loading, timeout=timeout)
            if self._assistant is not None:
                return self._assistant
            if self._loading:
                raise AssistantNotReady("Still loading the index and models; try again in a moment.")
            raise AssistantNotReady(f"The assistant could not be loaded: {self._error or 'not started'}")

    @contextmanager
    def using(self, timeout: float | None = None) -> Iterator[Any]:
        """``with service.using() as bot:`` — the assistant, to answer with (shared:
        other threads answer at the same time)."""
        assistant = self.get(timeout)
        with self.lock.shared():
            yield self._assistant or assistant

    @contextmanager
    def exclusive(self, timeout: float | None = None) -> Iterator[Any]:
        """``with service.exclusive() as bot:`` — the assistant, held alone (to change its
        index): waits for the answers in flight, and new questions wait for it."""
        assistant = self.get(timeout)
        with self.lock.exclusive():
            yield self._assistant or assistant
