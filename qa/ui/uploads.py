"""Articles uploaded from the browser: validated, then saved inside the corpus.

An upload is untrusted input that ends up on disk and in the index, so it is checked
before anything is written where the indexer looks:

* the name is reduced to a plain file name (``../../x.txt`` and ``/etc/passwd`` can
  only ever land in ``<corpus>/uploads/``), and the final path is re-checked after
  symlinks are resolved;
* the type is one of ``.txt`` / ``.md`` / ``.jsonl`` (a name without a suffix is taken
  as plain text, anything else is refused);
* the size is limited and the bytes must be text by the same rules `qa index` applies
  (`qa.ingest.decode_text`: UTF-8, or UTF-16 with a BOM; not binary), because an index
  of replacement characters answers nothing;
* the file must parse into at least one article with the same reader the indexer uses,
  so what is accepted is exactly what becomes searchable.

The file is written under a hidden temporary name first (the indexer skips hidden
files) and renamed into place, so a half-written upload is never indexed. An existing
file is never overwritten: identical bytes are reported as already there, different
bytes get a ``-2`` style suffix.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from qa.errors import NewsQAError
from qa.ingest import NotText, format_size, read_articles
from qa.ingest import decode_text as decode_file_text

ALLOWED_SUFFIXES = (".txt", ".md", ".jsonl")
DEFAULT_SUFFIX = ".txt"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_FILES_PER_UPLOAD = 20
UPLOAD_SUBDIR = "uploads"
_MAX_STEM_CHARS = 80
_UNSAFE_CHARS = re.compile(r"[^\w.-]+")  # \w: letters and digits of any script, and _
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


class UploadError(NewsQAError, ValueError):
    """An upload that was refused; the message is shown to the user as is."""


@dataclass(frozen=True)
class SavedUpload:
    """One accepted upload: where it went and what the indexer will find in it."""

    original_name: str
    path: Path
    source: str  # path relative to the corpus root, as citations will name it
    articles: int
    already_present: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)  # e.g. skipped JSONL records


def safe_filename(name: str) -> str:
    """A plain, portable file name for `name`, with a supported suffix.

    The name is NFKC-normalised first (so a fullwidth ``／`` is a slash), then only
    the last path component survives (``/`` and ``\\`` both count as separators);
    anything but letters, digits, ``.``, ``-`` and ``_`` becomes ``_``; and leading
    dots/dashes go, so the result is neither hidden (which the indexer would skip)
    nor option-like.
    Raises `UploadError` for a suffix that is not an article format.
    """
    base = unicodedata.normalize("NFKC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    base = base.replace("\x00", "").strip()
    stem, dot, suffix = base.rpartition(".")
    if not dot or not stem.strip(". "):
        stem, suffix = base, ""  # "passwd", ".bashrc": no real suffix
    suffix = f".{suffix.lower()}" if suffix else DEFAULT_SUFFIX
    if suffix not in ALLOWED_SUFFIXES:
        raise UploadError(
            f"{_shown(name)}: unsupported file type {suffix!r} (upload {', '.join(ALLOWED_SUFFIXES)} files)"
        )
    stem = _UNSAFE_CHARS.sub("_", stem).strip("._- ")
    stem = re.sub(r"_{2,}", "_", stem)[:_MAX_STEM_CHARS].rstrip("._- ") or "upload"
    if stem.lower() in _WINDOWS_RESERVED:
        stem = f"{stem}_"
    return stem + suffix


def _shown(name: str) -> str:
    """The user's file name, trimmed for an error message."""
    text = str(name).replace("\n", " ")
    return repr(text if len(text) <= 80 else text[:77] + "...")


def decode_text(data: bytes, name: str) -> str:
    """The upload's text, or `UploadError` if it is not text (the rules are `qa.ingest`'s)."""
    try:
        text, _ = decode_file_text(data)
    except NotText as err:
        raise UploadError(f"{_shown(name)}: {err}") from None
    if not text.strip():
        raise UploadError(f"{_shown(name)}: the file is empty")
    return text


def validate_bytes(data: bytes, name: str, max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """Size and encoding checks; returns the safe file name the upload will get."""
    filename = safe_filename(name)
    if len(data) > max_bytes:
        raise UploadError(f"{_shown(name)}: {format_size(len(data))} is over the {format_size(max_bytes)} upload limit")
    if not data:
        raise UploadError(f"{_shown(name)}: the file is empty")
    decode_text(data, name)
    return filename


def uploads_dir(corpus_dir: Path) -> Path:
    """``<corpus>/uploads``, created if needed, refused if it resolves outside the corpus."""
    corpus = Path(corpus_dir).resolve()
    target = corpus / UPLOAD_SUBDIR
    target.mkdir(parents=True, exist_ok=True)
    if not target.resolve().is_relative_to(corpus):
        raise UploadError(f"{target} points outside the corpus; refusing to save there")
    return target


def _free_path(directory: Path, filename: str, data: bytes) -> tuple[Path, bool]:
    """(path to write, True if identical bytes are already there under that name)."""
    stem, suffix = filename[: -len(Path(filename).suffix)], Path(filename).suffix
    for n in range(1, 1000):
        candidate = directory / (filename if n == 1 else f"{stem}-{n}{suffix}")
        if candidate.is_symlink():
            continue  # never write through, or next to, a link someone planted
        if not candidate.exists():
            return candidate, False
        if candidate.is_file() and candidate.stat().st_size == len(data) and candidate.read_bytes() == data:
            return candidate, True
    raise UploadError(f"too many files named like {filename!r}; rename it and upload again")


def _count_articles(path: Path, root: Path, name: str) -> tuple[int, tuple[str, ...]]:
    """Parse `path` like the indexer will; its warnings become notes for the user."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        articles = read_articles(path, root)
    notes = tuple(str(w.message).replace(str(path), Path(name).name) for w in caught)
    if not articles:
        detail = f" ({notes[0]})" if notes else ""
        raise UploadError(f"{_shown(name)}: no articles found in the file{detail}")
    return len(articles), notes


def save_upload(data: bytes, name: str, corpus_dir: Path, max_bytes: int = MAX_UPLOAD_BYTES) -> SavedUpload:
    """Validate `data` (uploaded as `name`) and save it under ``<corpus>/uploads/``."""
    filename = validate_bytes(data, name, max_bytes)
    corpus = Path(corpus_dir).resolve()
    directory = uploads_dir(corpus)
    target, present = _free_path(directory, filename, data)
    if not target.resolve().parent == directory.resolve():
        raise UploadError(f"{_shown(name)}: refusing to save outside {directory}")
    if present:
        count, notes = _count_articles(target, corpus, name)
        return SavedUpload(name, target, target.relative_to(corpus).as_posix(), count, True, notes)
    fd, tmp_name = tempfile.mkstemp(prefix=".upload-", suffix=target.suffix, dir=directory)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        count, notes = _count_articles(tmp, corpus, name)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return SavedUpload(name, target, target.relative_to(corpus).as_posix(), count, False, notes)


def save_upload_file(
    path: Path, corpus_dir: Path, name: str | None = None, max_bytes: int = MAX_UPLOAD_BYTES
) -> SavedUpload:
    """`save_upload` for a file on disk (Gradio's temporary copy); size checked before reading."""
    path = Path(path)
    shown = name or path.name
    size = path.stat().st_size
    if size > max_bytes:
        safe_filename(shown)  # a wrong type is the more useful message
        raise UploadError(f"{_shown(shown)}: {format_size(size)} is over the {format_size(max_bytes)} upload limit")
    return save_upload(path.read_bytes(), shown, corpus_dir, max_bytes)


def save_uploads(
    paths: Iterable[Path | str], corpus_dir: Path, max_bytes: int = MAX_UPLOAD_BYTES
) -> tuple[list[SavedUpload], list[str]]:
    """Save every acceptable file; (saved, error messages). One bad file spoils nothing."""
    paths = list(paths)
    saved: list[SavedUpload] = []
    errors: list[str] = []
    if len(paths) > MAX_FILES_PER_UPLOAD:
        errors.append(f"only the first {MAX_FILES_PER_UPLOAD} of {len(paths)} files were taken")
        paths = paths[:MAX_FILES_PER_UPLOAD]
    for path in paths:
        try:
            saved.append(save_upload_file(Path(path), corpus_dir, max_bytes=max_bytes))
        except UploadError as err:
            errors.append(str(err))
        except OSError as err:
            errors.append(f"{_shown(Path(path).name)}: could not be saved ({err.strerror or err})")
    return saved, errors


def list_uploads(corpus_dir: Path) -> list[str]:
    """The uploaded files (``uploads/<name>``, as citations name them), sorted; hidden
    half-written files and links are not uploads."""
    directory = Path(corpus_dir).resolve() / UPLOAD_SUBDIR
    if not directory.is_dir():
        return []
    return sorted(
        f"{UPLOAD_SUBDIR}/{p.name}"
        for p in directory.iterdir()
        if p.is_file() and not p.is_symlink() and not p.name.startswith(".") and p.suffix in ALLOWED_SUFFIXES
    )


def remove_upload(source: str, corpus_dir: Path) -> Path:
    """Delete the uploaded file `source` (one of `list_uploads`); only uploads can go,
    never the articles the app was started with."""
    if source not in list_uploads(corpus_dir):
        raise UploadError(
            f"{_shown(source)} is not an uploaded article (only files under {UPLOAD_SUBDIR}/ can be removed)"
        )
    path = Path(corpus_dir).resolve() / source
    path.unlink()
    return path
