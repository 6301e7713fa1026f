"""The persisted index of a corpus: chunks, their vectors (FAISS) and BM25 terms.

On disk an index is a directory of generations:

    index/CURRENT            -> "gen-000007-3fa2c1"   (replaced atomically)
    index/.lock              flock()ed by the one process writing a generation
    index/gen-000007-3fa2c1/manifest.json   embedder, chunking, fingerprint of every source
                                            file, sha256 of every other file below
    index/gen-000007-3fa2c1/chunks.jsonl    one Chunk per line, in vector order
    index/gen-000007-3fa2c1/vectors.npy     unit vectors (float32), row i <-> chunk i
    index/gen-000007-3fa2c1/faiss.index     inner-product index over those vectors (qa.vector_index)
    index/gen-000007-3fa2c1/bm25/           bm25s index over Chunk.search_text

A new generation is written completely (in `.gen-*.tmp-PID`, then renamed to a name no
generation ever had) before CURRENT is switched to it, so a crash at any moment leaves
the previous generation intact and loadable; the next write removes what a dead
process left (temporary folders, generations CURRENT does not name). Writers are
serialised by `.lock` (the kernel drops it when its process dies, so a killed writer
never blocks the next). Loading checks every file against the manifest's sha256: a
damaged or edited generation is refused as `IndexUnreadable`, never answered from,
and `qa index` (`open(repair=True)`) rebuilds it. Updating re-reads only files whose
fingerprint changed and reuses every other file's chunks and vectors.

Indexing a big corpus takes a CPU hours, so a caller that must stay quick (`qa ask`)
passes `max_update_bytes`: an index needing more reading than that is not touched and
`IndexOutOfDate` says what `qa index` has to do.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import secrets
import shutil
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tqdm import tqdm

from qa import vector_index
from qa.chunk import chunk_articles
from qa.config import Settings
from qa.embed import Embedder
from qa.encoders import sha256_file
from qa.errors import NewsQAError
from qa.ingest import MAX_FILE_BYTES, CorpusNotFound, find_source_files, format_size, read_articles
from qa.types import Chunk, Filter

# 2: over-long sentences are cut to the chunk budget and titles are capped (qa.chunk,
# qa.ingest), so chunks of version-1 indexes may be unbounded: those are rebuilt.
# 3: the manifest holds the sha256 of every file of its generation, checked on load.
FORMAT_VERSION = 3
Progress = Callable[[int, int, str], None]
Ranking = list[tuple[int, float]]  # (chunk id, score), best first
PendingFile = tuple[str, Path, str, os.stat_result, str]  # key, path, label, stat, sha256


def bm25_tokenize(texts: list[str], stemmer) -> list[list[str]]:
    """The one BM25 tokenizer, for chunks and queries alike (they must agree): English
    stopwords out, Snowball-stemmed."""
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False, return_ids=False)


def _best_first(ranking: Iterable[tuple[int, float]]) -> Ranking:
    """Best score first, ties by chunk id: the same order whether or not a filter left
    other chunks out (top-k selection alone orders tied scores arbitrarily)."""
    return sorted(ranking, key=lambda pair: (-pair[1], pair[0]))


class SearchableStore(Protocol):
    """What retrieval needs of a store: its chunks by id and its two searches.

    `CorpusIndex` (FAISS + bm25s on local disk) is one backend; another (e.g. Milvus)
    plugs in by offering the same methods over the same chunk ids. With `filter`, a
    search returns the best `k` among the chunks the filter allows (`Filter.allows`),
    never the global top `k` with the others dropped: a backend pushes it down.
    """

    @property
    def chunks(self) -> Sequence[Chunk]: ...

    def search_bm25(self, query: str, k: int, filter: Filter | None = None) -> Ranking: ...

    def search_dense(self, query: str, k: int, filter: Filter | None = None) -> Ranking: ...


class IndexUnreadable(NewsQAError):
    """The index on disk is unreadable or inconsistent; rebuild it with `qa index`."""


class IndexOutOfDate(NewsQAError):
    """The index needs more (re)indexing than the caller allowed; run `qa index`."""


class IndexBusy(NewsQAError):
    """Another process is writing the index and the caller chose not to wait for it."""


LOCK_NAME = ".lock"
_GEN_NAME = re.compile(r"gen-(\d{6,})(?:-[0-9a-f]+)?")
_TMP_NAME = re.compile(r"\..*\.tmp-(\d+)")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


@contextmanager
def write_lock(index_dir: Path, wait: bool = True) -> Iterator[bool]:
    """Hold `index_dir/.lock` (fcntl.flock) for the duration; yields whether we had to wait.

    The lock dies with its process, so a writer killed with SIGKILL never blocks the
    next. With `wait=False` a held lock raises `IndexBusy` at once; with `wait=True`
    one line on stderr says who is being waited for.
    """
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(index_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    waited = False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "another process"
            if not wait:
                raise IndexBusy(
                    f"the index at {index_dir} is being written by pid {holder}; try again when it has finished"
                ) from None
            print(
                f"waiting for pid {holder}, which is writing the index at {index_dir}...", file=sys.stderr, flush=True
            )
            fcntl.flock(fd, fcntl.LOCK_EX)
            waited = True
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield waited
    finally:
        os.close(fd)  # releases the flock


def _file_checksums(gen: Path) -> dict[str, str]:
    """sha256 of every file of a generation but its manifest, by posix path inside it."""
    return {
        path.relative_to(gen).as_posix(): sha256_file(path)
        for path in sorted(gen.rglob("*"))
        if path.is_file() and path.name != "manifest.json" and ".tmp-" not in path.name
    }


@dataclass
class FileEntry:
    """Fingerprint of one source file and the contiguous chunk rows it produced."""

    path: str  # absolute
    source: str  # label used in citations: relative to its corpus root
    size: int
    mtime_ns: int
    sha256: str
    first: int
    count: int


@dataclass
class UpdateReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    rebuilt: bool = False

    pending_bytes: int = 0  # what the update had (or has) to read

    @property
    def dirty(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.rebuilt)

    def __str__(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, "
            f"{len(self.removed)} removed, {self.unchanged} unchanged"
        )


def _stored_manifest(index_dir: Path) -> dict | None:
    """The current generation's manifest, or None if there is none or it is unreadable."""
    try:
        gen = Path(index_dir) / (Path(index_dir) / "CURRENT").read_text().strip()
        manifest = json.loads((gen / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


@dataclass
class CorpusChange:
    """What opening an existing index with other corpus paths would do (see `corpus_change`)."""

    stored: list[Path]  # the corpus paths the index holds now (its manifest's roots)
    requested: list[Path]
    dropped: list[str] = field(default_factory=list)  # indexed sources outside the requested paths
    dropped_passages: int = 0
    embed: list[str] = field(default_factory=list)  # files under the requested paths not in the index
    embed_bytes: int = 0

    @property
    def changed(self) -> bool:
        return {p.resolve() for p in self.stored} != {p.resolve() for p in self.requested}

    def describe(self) -> str:
        """``the index holds a, b; with c it drops 3 files (120 passages) and embeds 2 files (4 KB)``."""
        held = ", ".join(map(str, self.stored)) or "nothing"
        parts = [f"the index holds {held}; with {', '.join(map(str, self.requested))} it"]
        if self.dropped:
            shown = ", ".join(self.dropped[:5]) + (
                f" and {len(self.dropped) - 5} more" if len(self.dropped) > 5 else ""
            )
            parts.append(f"drops {len(self.dropped)} file(s) ({self.dropped_passages} passages: {shown})")
        if self.embed:
            if self.dropped:
                parts.append("and")
            parts.append(f"embeds {len(self.embed)} file(s) ({format_size(self.embed_bytes)})")
        if not self.dropped and not self.embed:
            parts.append("keeps every passage and embeds nothing")
        return " ".join(parts)


def _covered(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def _source_label(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if root.is_dir() else path.name


class CorpusIndex:
    """Chunks + dense and sparse indexes of a set of corpus paths, kept in sync with disk."""

    # files a generation's searches need besides chunks and vectors (checked on load)
    search_files: tuple[str, ...] = ("faiss.index",)

    def __init__(
        self, index_dir: Path, roots: list[Path], settings: Settings, embedder: Embedder | None = None
    ) -> None:
        self.index_dir = Path(index_dir)
        self.roots = [Path(r).resolve() for r in roots]
        self.settings = settings
        # owned: loaded on warm_up() or first use, then kept for every later search
        self.embedder = embedder or Embedder(settings.embedder_path, runtime=settings.embedder_runtime)
        self.chunks: list[Chunk] = []
        self.vectors: np.ndarray = np.zeros((0, 0), dtype=np.float32)
        self.files: dict[str, FileEntry] = {}
        self._faiss: Any = None  # faiss.IndexFlatIP, built or read on first dense search
        self._bm25: Any = None  # bm25s.BM25, likewise on first BM25 search
        self._stemmer_obj: Any = None
        # searches may run in several threads at once (the app): lazy loads, the stemmer
        # (not thread-safe) and the filter-mask cache go one thread at a time
        self._search_lock = threading.RLock()
        self._gen_dir: Path | None = None  # generation the search structures may be read from
        self._checksums: dict[str, str] = {}  # sha256 of the files of that generation

    # ---------------------------------------------------------------- identity
    def _params(self) -> dict:
        return {
            "format": FORMAT_VERSION,
            "embedder": self.embedder.name,
            "chunk_tokens": self.settings.chunk_tokens,
            "chunk_overlap": self.settings.chunk_overlap,
        }

    # ---------------------------------------------------------------- loading
    @classmethod
    def open(
        cls,
        index_dir: Path,
        roots: list[Path],
        settings: Settings,
        progress: Progress | None = None,
        bar: bool = True,
        max_update_bytes: int | None = None,
        embedder: Embedder | None = None,
        repair: bool = False,
    ) -> tuple[CorpusIndex, UpdateReport]:
        """Load the index if it matches `roots`, update it if files changed, build it if absent.

        With `max_update_bytes`, raise `IndexOutOfDate` (and write nothing) rather than
        read more than that many bytes of new or changed files. A damaged index raises
        `IndexUnreadable` naming the `qa index` command that rebuilds it; with `repair`
        (what `qa index` passes) it is rebuilt, with a warning.
        """
        index = cls(index_dir, roots, settings, embedder)
        report = UpdateReport()
        try:
            loaded = index.load()
        except IndexUnreadable as exc:
            if not repair:
                raise IndexUnreadable(f"{exc}; run `{index._index_command()}` to rebuild it") from exc
            warnings.warn(f"{exc}; rebuilding it", stacklevel=2)
            index._reset()
            loaded, report.rebuilt = False, True
        if not loaded:
            report.rebuilt = report.rebuilt or bool(index._current_dir())
        report = index.sync(progress=progress, bar=bar, report=report, max_update_bytes=max_update_bytes)
        return index, report

    def _reset(self) -> None:
        self.chunks, self.vectors, self.files = [], np.zeros((0, 0), dtype=np.float32), {}
        self._faiss = self._bm25 = self._gen_dir = None
        self._checksums = {}

    def _current_dir(self, strict: bool = False) -> Path | None:
        """The generation CURRENT names; None if there is none (or, unless `strict`, if
        CURRENT is unreadable or names no generation: `strict` raises `IndexUnreadable`)."""
        pointer = self.index_dir / "CURRENT"
        if not pointer.exists():
            return None
        try:
            name = pointer.read_text(encoding="ascii").strip()
        except (OSError, ValueError) as exc:
            if strict:
                raise IndexUnreadable(f"index at {self.index_dir} is damaged: CURRENT is unreadable ({exc})") from exc
            return None
        gen = self.index_dir / name
        if _GEN_NAME.fullmatch(name) and gen.is_dir():
            return gen
        if strict:
            raise IndexUnreadable(
                f"index at {self.index_dir} is damaged: CURRENT names {name[:80]!r}, no generation here"
            )
        return None

    def load(self) -> bool:
        """Read the current generation; False if there is none or it was built differently.

        Every file is checked against the sha256 its manifest recorded: a missing,
        truncated or edited file raises `IndexUnreadable`, so no answer ever comes from
        a damaged index.
        """
        gen = self._current_dir(strict=True)
        if gen is None:
            return False
        try:
            manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
            if not isinstance(manifest, dict):
                raise ValueError("manifest.json is not a JSON object")
            if manifest.get("params") != self._params():
                return False
            checksums = self._verify(gen, manifest.get("checksums"))
            with (gen / "chunks.jsonl").open(encoding="utf-8") as fh:
                chunks = [Chunk.from_dict(json.loads(line)) for line in fh]
            # memory-mapped: a big corpus's vectors are paged in when an update copies them
            vectors = np.load(gen / "vectors.npy", allow_pickle=False, mmap_mode="r")
            files = {k: FileEntry(**v) for k, v in manifest["files"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise IndexUnreadable(f"index at {gen} is unreadable ({exc})") from exc
        if vectors.ndim != 2 or len(chunks) != len(vectors) or len(chunks) != manifest.get("chunks"):
            raise IndexUnreadable(
                f"index at {gen} is inconsistent: {len(chunks)} chunks, {len(vectors)} vectors, "
                f"{manifest.get('chunks')} in the manifest"
            )
        self.chunks, self.vectors, self.files = chunks, vectors, files
        self._gen_dir, self._checksums = gen, checksums
        self._faiss = self._bm25 = None
        return True

    @classmethod
    def _verify(cls, gen: Path, checksums: Any) -> dict[str, str]:
        """`checksums` if every file it names is in `gen` with that sha256; else IndexUnreadable."""
        if not isinstance(checksums, dict) or not all(isinstance(v, str) for v in checksums.values()):
            raise IndexUnreadable(f"index at {gen} is damaged: its manifest has no file checksums")
        for required in ("chunks.jsonl", "vectors.npy", *cls.search_files):
            if required not in checksums:
                raise IndexUnreadable(f"index at {gen} is damaged: its manifest lists no {required}")
        for name, digest in checksums.items():
            path = gen / name
            if ".." in Path(name).parts or not path.is_file():
                raise IndexUnreadable(f"index at {gen} is damaged: {name} is missing")
            if sha256_file(path) != digest:
                raise IndexUnreadable(f"index at {gen} is damaged: {name} was changed or truncated (sha256 mismatch)")
        return dict(checksums)

    @staticmethod
    def stored_roots(index_dir: Path) -> list[Path] | None:
        """The corpus paths an existing index was built from (for `qa ask` without --corpus)."""
        manifest = _stored_manifest(index_dir)
        try:
            return [Path(p) for p in manifest["roots"]] if manifest else None
        except (KeyError, TypeError):
            return None

    @staticmethod
    def corpus_change(index_dir: Path, roots: Sequence[Path]) -> CorpusChange | None:
        """What opening the index at `index_dir` with `roots` drops and embeds; None if
        there is no readable index (nothing is lost then). Reads the manifest and lists
        the requested paths' files; embeds and writes nothing."""
        manifest = _stored_manifest(index_dir)
        stored = CorpusIndex.stored_roots(index_dir)
        if manifest is None or stored is None:
            return None
        requested = [Path(r) for r in roots]
        resolved = [r.resolve() for r in requested]
        change = CorpusChange(stored=stored, requested=requested)
        stored_files = manifest.get("files")
        files: dict = stored_files if isinstance(stored_files, dict) else {}
        for entry in files.values():
            if not isinstance(entry, dict) or _covered(Path(str(entry.get("path", ""))), resolved):
                continue
            change.dropped.append(str(entry.get("source", entry.get("path"))))
            change.dropped_passages += int(entry.get("count", 0) or 0)
        for path in find_source_files([r for r in resolved if r.exists()]):
            path = path.resolve()
            if str(path) not in files:
                change.embed.append(str(path))
                change.embed_bytes += path.stat().st_size
        return change

    @staticmethod
    def stored_params(index_dir: Path) -> dict | None:
        """How an existing index was built (format, embedder, chunk_tokens, chunk_overlap)."""
        manifest = _stored_manifest(index_dir)
        params = manifest.get("params") if manifest else None
        return params if isinstance(params, dict) else None

    @staticmethod
    def stored_store(index_dir: Path) -> tuple[str, str | None] | None:
        """The store an existing index was built in and its URI ("faiss", None), or None."""
        manifest = _stored_manifest(index_dir)
        if not manifest or not isinstance(manifest.get("params"), dict):
            return None
        settings = manifest.get("settings")
        uri = settings.get("store_uri") if isinstance(settings, dict) else None
        return str(manifest["params"].get("store", "faiss")), uri if isinstance(uri, str) else None

    # ---------------------------------------------------------------- updating
    def scan(self) -> dict[str, tuple[Path, str]]:
        """Current source files: absolute path -> (path, citation label)."""
        found: dict[str, tuple[Path, str]] = {}
        for root in self.roots:
            if not root.exists():
                raise CorpusNotFound(f"corpus path not found: {root}")
            for path in find_source_files([root]):
                path = path.resolve()
                found[str(path)] = (path, _source_label(path, root))
        return found

    def sync(
        self,
        progress: Progress | None = None,
        bar: bool = True,
        report: UpdateReport | None = None,
        max_update_bytes: int | None = None,
    ) -> UpdateReport:
        """Bring the index in line with the files on disk; write a new generation if anything changed.

        Raises `IndexOutOfDate` before changing anything when the files to read add up
        to more than `max_update_bytes` (None: no limit).
        """
        report = report or UpdateReport()
        keep, todo = self._plan(report)
        gen = self._current_dir()
        if not report.dirty and gen is not None:
            touched = any(keep[k].mtime_ns != self.files[k].mtime_ns for k in keep)
            if touched or self._leftovers():
                self.files = keep  # touched, not changed: same rows, only the fingerprints move
                try:
                    with write_lock(self.index_dir, wait=False):
                        if touched and self._current_dir() == gen == self._gen_dir:
                            self._write_manifest(gen)
                        self._remove_leftovers()  # of a writer that died after its switch
                except IndexBusy:
                    pass  # the writer holding the lock does both
            return report
        if max_update_bytes is not None and report.pending_bytes > max_update_bytes:
            raise IndexOutOfDate(self._out_of_date(report, todo, max_update_bytes))
        # quick callers (a limit) do not queue behind a long `qa index`; `qa index` waits
        with write_lock(self.index_dir, wait=max_update_bytes is None):
            if self._current_dir() != gen:
                # another writer switched generations while we waited: start from its work
                rebuilt = report.rebuilt
                self._reset()
                try:
                    loaded = self.load()
                except IndexUnreadable:
                    loaded = False
                report.rebuilt = rebuilt and not loaded
                keep, todo = self._plan(report)
                if not report.dirty and self._current_dir() is not None:
                    return report
                if max_update_bytes is not None and report.pending_bytes > max_update_bytes:
                    raise IndexOutOfDate(self._out_of_date(report, todo, max_update_bytes))
            self._update(keep, todo, progress, bar)
        if progress:
            progress(len(todo), len(todo), f"indexed: {report}")
        return report

    def _update(
        self, keep: dict[str, FileEntry], todo: list[PendingFile], progress: Progress | None, bar: bool
    ) -> None:
        """Read `todo`, reuse `keep`'s rows, and write the result as a new generation."""
        chunks: list[Chunk] = []
        vectors: list[np.ndarray] = []
        files: dict[str, FileEntry] = {}
        for key in sorted(keep):
            entry = keep[key]
            files[key] = FileEntry(**{**entry.__dict__, "first": len(chunks)})
            chunks.extend(self.chunks[entry.first : entry.first + entry.count])
            vectors.append(self.vectors[entry.first : entry.first + entry.count])

        new_chunks = self._chunk_files(todo, files, len(chunks), progress, bar)
        if new_chunks:
            if progress:
                progress(0, len(new_chunks), "embedding passages")
            vectors.append(self._embed(new_chunks, progress, bar))
            chunks.extend(new_chunks)
        self.chunks = chunks
        self.vectors = np.concatenate(vectors) if vectors else self.embedder.embed([])
        self.files = files
        self._faiss = self._bm25 = self._gen_dir = None  # stale: rebuilt from the new rows
        self._write()

    def _plan(self, report: UpdateReport) -> tuple[dict[str, FileEntry], list[PendingFile]]:
        """(entries to keep as they are, files to read); fills in `report`."""
        current = self.scan()
        report.added, report.changed = [], []
        keep: dict[str, FileEntry] = {}
        todo: list[PendingFile] = []
        for key, (path, label) in current.items():
            stat = path.stat()
            old = self.files.get(key)
            if old and old.size == stat.st_size and old.mtime_ns == stat.st_mtime_ns and old.source == label:
                keep[key] = old
                continue
            digest = sha256_file(path)
            if old and old.sha256 == digest and old.source == label:
                keep[key] = FileEntry(**{**old.__dict__, "mtime_ns": stat.st_mtime_ns})
                continue
            (report.changed if old else report.added).append(label)
            todo.append((key, path, label, stat, digest))
        report.removed = sorted(self.files[k].source for k in self.files if k not in current)
        report.unchanged = len(keep)
        # files over the per-file limit are skipped unread (qa.ingest), so they cost nothing
        report.pending_bytes = sum(s.st_size for _, _, _, s, _ in todo if s.st_size <= MAX_FILE_BYTES)
        return keep, todo

    def _out_of_date(self, report: UpdateReport, todo: list[PendingFile], limit: int) -> str:
        """The one-line reason `IndexOutOfDate` gives, with the command that fixes it."""
        if self._current_dir() is None:
            state = "does not exist yet"
        elif report.rebuilt:
            state = "was built with other settings or by an older version"
        else:
            state = "is out of date"
        command = self._index_command()
        return (
            f"the index at {self.index_dir} {state}: {len(todo)} file(s), "
            f"{format_size(report.pending_bytes)} to read, more than the "
            f"{format_size(limit)} indexed on the fly; run `{command}` first"
        )

    def _index_command(self) -> str:
        """The `qa index` command line that builds this index."""
        command = " ".join(["qa index", *map(str, self.roots), "--index", str(self.index_dir)])
        chunking = (self.settings.chunk_tokens, self.settings.chunk_overlap)
        if chunking != (Settings().chunk_tokens, Settings().chunk_overlap):
            command += " --chunk-tokens {} --chunk-overlap {}".format(*chunking)
        return command

    def _chunk_files(self, todo, files, offset, progress, bar) -> list[Chunk]:
        count_tokens = self.embedder.token_counter()
        new_chunks: list[Chunk] = []
        for n, (key, path, label, stat, digest) in enumerate(
            tqdm(todo, desc="reading", unit="file", disable=not bar or len(todo) < 2)
        ):
            root = next(r for r in self.roots if path == r or r in path.parents)
            articles = read_articles(path, root if root.is_dir() else path.parent)
            file_chunks = chunk_articles(
                articles, count_tokens, self.settings.chunk_tokens, self.settings.chunk_overlap
            )
            files[key] = FileEntry(
                str(path), label, stat.st_size, stat.st_mtime_ns, digest, offset + len(new_chunks), len(file_chunks)
            )
            new_chunks.extend(file_chunks)
            if progress:
                progress(n + 1, len(todo), f"read {label}")
        return new_chunks

    def _embed(self, chunks: list[Chunk], progress: Progress | None, bar: bool) -> np.ndarray:
        texts = [c.search_text for c in chunks]
        step = 256
        parts = []
        with tqdm(total=len(texts), desc="embedding", unit="passage", disable=not bar) as pbar:
            for i in range(0, len(texts), step):
                parts.append(self.embedder.embed(texts[i : i + step]))
                pbar.update(len(texts[i : i + step]))
                if progress:
                    progress(min(i + step, len(texts)), len(texts), "embedding passages")
        return np.concatenate(parts)

    # ---------------------------------------------------------------- writing
    def _write(self) -> None:
        """Write a complete new generation, then atomically point CURRENT at it.

        Called with the write lock held. A death at any step leaves CURRENT naming a
        complete generation; what it leaves behind is removed by the next write.
        """
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self._remove_leftovers()
        numbers = [int(m.group(1)) for p in self.index_dir.iterdir() if (m := _GEN_NAME.fullmatch(p.name))]
        # unique: a generation renamed into place by a writer that died before switching
        # CURRENT can never be in the way of the next one
        name = f"gen-{max(numbers, default=0) + 1:06d}-{secrets.token_hex(3)}"
        tmp = self.index_dir / f".{name}.tmp-{os.getpid()}"
        tmp.mkdir()
        with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as fh:
            for chunk in self.chunks:
                fh.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
        np.save(tmp / "vectors.npy", self.vectors)
        self._write_search(tmp, name)
        self._checksums = _file_checksums(tmp)
        self._write_manifest(tmp)
        os.replace(tmp, self.index_dir / name)
        pointer_tmp = self.index_dir / f".CURRENT.tmp-{os.getpid()}"
        with pointer_tmp.open("w", encoding="ascii") as fh:
            fh.write(name)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(pointer_tmp, self.index_dir / "CURRENT")
        self._gen_dir = self.index_dir / name
        self._remove_leftovers()

    def _write_search(self, tmp: Path, name: str) -> None:
        """Write what the searches read into generation `name` (being built in `tmp`):
        here the FAISS index and the bm25s files; another backend writes its own."""
        import faiss

        faiss.write_index(self._load_faiss(), str(tmp / "faiss.index"))
        if self.chunks:
            self._load_bm25().save(str(tmp / "bm25"))

    def _remove_leftovers(self) -> None:
        """Delete temporary folders of dead writers and every generation CURRENT does not name.

        Only the lock holder calls this, so no live writer's work is removed.
        """
        for path in self._leftovers():
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)

    def _leftovers(self) -> list[Path]:
        """Temporary folders and files of dead writers, and generations CURRENT does not name."""
        current = self._current_dir()
        found = []
        for path in self.index_dir.iterdir():
            tmp = _TMP_NAME.fullmatch(path.name)
            if tmp and _pid_alive(int(tmp.group(1))):
                continue
            if tmp or (_GEN_NAME.fullmatch(path.name) and path != current):
                found.append(path)
        return found

    def _write_manifest(self, gen: Path) -> None:
        """(Re)write `gen`'s manifest atomically; the rows it describes are already in place."""
        manifest = {
            "params": self._params(),  # what decides whether the index can be reused
            "settings": self.settings.to_dict(),  # everything it was built under (Settings.from_dict)
            "roots": [str(r) for r in self.roots],
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "chunks": len(self.chunks),
            "files": {k: v.__dict__ for k, v in self.files.items()},
            "checksums": self._checksums,  # sha256 of every other file of the generation
            "search": self._describe_search(),  # what searches it, and how
        }
        tmp = gen / f".manifest.json.tmp-{os.getpid()}"
        tmp.write_text(json.dumps(manifest, indent=1))
        os.replace(tmp, gen / "manifest.json")

    def _describe_search(self) -> dict[str, Any]:
        """What the manifest says about the searches: the store, its vector index."""
        return {"store": "faiss", "vector_index": vector_index.describe(self._load_faiss())}

    @property
    def generation(self) -> tuple[str | None, int]:
        """Which written state of the index searches read: changes with every update
        (generation folders are never reused), so answers cached under it stay true."""
        return (str(self._gen_dir) if self._gen_dir else None, len(self.chunks))

    # ---------------------------------------------------------------- search
    def search_bm25(self, query: str, k: int, filter: Filter | None = None) -> Ranking:
        """Up to `k` chunk ids sharing a term with `query`, best BM25 score first; only
        chunks `filter` allows, scored as in the whole corpus (a weight mask over all).

        Queries go through the same tokenizer the chunks were indexed with (`bm25_tokenize`).
        """
        allowed = self.allowed(filter)
        if not self.chunks or (allowed is not None and not allowed.any()):
            return []
        with self._search_lock:
            tokens = bm25_tokenize([query], self._stemmer())
            bm25 = self._load_bm25()
        if not tokens or not tokens[0]:
            return []
        mask: np.ndarray | None = None if allowed is None else allowed.astype(np.float32)
        docs, scores = bm25.retrieve(tokens, k=min(k, len(self.chunks)), show_progress=False, weight_mask=mask)
        return _best_first((int(d), float(s)) for d, s in zip(docs[0], scores[0]) if s > 0)

    def search_dense(self, query: str, k: int, filter: Filter | None = None) -> Ranking:
        """The `k` chunk ids whose vectors are closest to `query`'s (cosine), best first;
        only chunks `filter` allows (FAISS searches that subset: an `IDSelector`)."""
        allowed = self.allowed(filter)
        if not self.chunks or (allowed is not None and not allowed.any()):
            return []
        vector = self.embedder.embed([query])
        with self._search_lock:
            index = self._load_faiss()
        if allowed is None:
            scores, ids = index.search(vector, min(k, len(self.chunks)))
        else:
            import faiss

            subset: np.ndarray = np.flatnonzero(allowed).astype(np.int64)
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(subset))  # type: ignore[call-arg]
            scores, ids = index.search(vector, min(k, len(subset)), params=params)
        return _best_first((int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0)

    def allowed(self, filter: Filter | None) -> np.ndarray | None:
        """Which chunk ids `filter` lets a search return (a boolean array in chunk order);
        None when it allows every chunk. Remembered per filter until the chunks change."""
        if not filter:
            return None
        with self._search_lock:
            return self._allowed(filter)

    def _allowed(self, filter: Filter) -> np.ndarray:
        cache = self.__dict__.setdefault("_allowed_cache", {})
        if cache.get("chunks") is not self.chunks or cache.get("count") != len(self.chunks):
            cache.clear()
            cache.update(chunks=self.chunks, count=len(self.chunks), masks={})
        masks: dict[Filter, np.ndarray] = cache["masks"]
        if filter not in masks:
            if len(masks) >= 32:
                masks.clear()
            masks[filter] = np.fromiter((filter.allows(c) for c in self.chunks), dtype=bool, count=len(self.chunks))
        return masks[filter]

    def warm_up(self) -> None:
        """Load the embedder and both search structures now, so the first search is fast."""
        self.embedder.warm_up()
        if self.chunks:
            with self._search_lock:
                self._load_faiss()
                self._load_bm25()

    def _stemmer(self):
        if self._stemmer_obj is None:
            import Stemmer

            self._stemmer_obj = Stemmer.Stemmer("english")
        return self._stemmer_obj

    def _load_faiss(self):
        """The vector index (`qa.vector_index`: exact below 50k vectors, IVF-SQ8 above),
        read memory-mapped from the generation, or built from the vectors after an update."""
        if self._faiss is None:
            gen = self._gen_dir
            if gen is not None and (gen / "faiss.index").exists() and self.vectors.size:
                self._faiss = vector_index.read(gen / "faiss.index")
            else:
                self._faiss = vector_index.build(self.vectors)
            if self._faiss.ntotal != len(self.chunks):
                raise IndexUnreadable("FAISS index does not match the chunk list; run `qa index` again")
        return self._faiss

    def _load_bm25(self):
        if self._bm25 is None:
            import bm25s

            gen = self._gen_dir
            if gen is not None and (gen / "bm25").is_dir():
                self._bm25 = bm25s.BM25.load(str(gen / "bm25"))
            else:
                self._bm25 = bm25s.BM25()
                tokens = bm25_tokenize([c.search_text for c in self.chunks], self._stemmer())
                self._bm25.index(tokens, show_progress=False)
        return self._bm25

    # ---------------------------------------------------------------- views
    def articles(self) -> list[dict]:
        """One row per indexed article (source + headline), with its chunk count."""
        rows: dict[tuple[str, str], dict] = {}
        for chunk in self.chunks:
            row = rows.setdefault(
                (chunk.source, chunk.title),
                {"source": chunk.source, "title": chunk.title, "date": chunk.date, "chunks": 0},
            )
            row["chunks"] += 1
        return list(rows.values())

    def _file_entry(self, source: str) -> FileEntry | None:
        """The file behind a citation label (JSONL labels carry '#id')."""
        label = source.split("#", 1)[0]
        return next((entry for entry in self.files.values() if entry.source == label), None)

    def source_path(self, source: str) -> Path | None:
        """Absolute path of the file behind a citation label."""
        entry = self._file_entry(source)
        return Path(entry.path) if entry else None

    def source_lines(self, source: str) -> dict[int, str]:
        """Every indexed line of one article or file, by line number: read from that file's rows only."""
        entry = self._file_entry(source)
        lines: dict[int, str] = {}
        if entry is not None:
            for chunk in self.chunks[entry.first : entry.first + entry.count]:
                if chunk.source == source:
                    lines.update(chunk.quotes)
        return lines
