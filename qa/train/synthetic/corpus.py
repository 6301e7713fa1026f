"""News stories in, SQuAD-sized prose contexts out; seed articles kept out.

Reads the JSONL corpora (BBC, Reuters) into clean paragraphs, cuts them into contexts of
MIN_WORDS-MAX_WORDS words, and refuses anything taken from the seed articles, which must
never become training data.
"""

from __future__ import annotations

import hashlib
import html
import json
import random
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.chunk import split_sentences

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_DATA_DIR = Path("../shared/data")
CORPORA = {"bbc": "bbc-news/bbc.jsonl", "reuters": "reuters-21578/reuters.jsonl"}

MIN_WORDS, MAX_WORDS = 60, 200


@dataclass(frozen=True)
class NewsArticle:
    """One raw story: `paragraphs` are clean prose paragraphs (wire line-wraps undone)."""

    corpus: str
    id: str
    title: str
    paragraphs: tuple[str, ...]


def corpus_path(name_or_path: str, data_dir: Path = DEFAULT_DATA_DIR) -> Path:
    """A corpus name ("bbc", "reuters") or a JSONL path; seed files are refused."""
    path = data_dir / CORPORA[name_or_path] if name_or_path in CORPORA else Path(name_or_path)
    check_not_seed(path)
    return path


def check_not_seed(path: Path) -> None:
    """Refuse any source inside a `seeds` directory: the seed article is never training data."""
    resolved = Path(path).resolve()
    if "seeds" in resolved.parts or any(resolved == p.resolve() for p in _seed_files()):
        raise ValueError(f"{path} is a seed article: it must never be used to generate training data")


def read_articles(path: Path, corpus: str) -> Iterator[NewsArticle]:
    """Stories of a JSONL corpus (`{"id", "title", "text"}` a line), cleaned into paragraphs."""
    check_not_seed(path)
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            record = json.loads(line)
            text = record.get("text", "")
            paragraphs = wire_paragraphs(text) if _looks_wrapped(text) else plain_paragraphs(text)
            yield NewsArticle(corpus, str(record["id"]), str(record.get("title", "")), tuple(paragraphs))


def plain_paragraphs(text: str) -> list[str]:
    """Paragraphs separated by blank lines (BBC); single newlines inside are spaces."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", html.unescape(text)):
        block = _normalise_space(block)
        if block:
            paragraphs.append(block)
    return paragraphs


def wire_paragraphs(text: str) -> list[str]:
    """Reuters copy: hard-wrapped lines, a new paragraph at each indented line."""
    text = html.unescape(text).replace("\x03", "")
    text = re.sub(r"\s*\bReuter\s*$", "", text.rstrip())
    # <EFH> tickers are dropped; <Xiamen International Finance Co Ltd> keeps its name.
    text = re.sub(r"\s*<[A-Z0-9.&/]{1,8}>", "", text)
    text = re.sub(r"<([^<>\n]{2,80})>", r"\1", re.sub(r"<([^<>]{2,80})\n\s*([^<>]{1,80})>", r"\1 \2", text))
    paragraphs = []
    for block in re.split(r"\n(?=[ \t]{2,})|\n\s*\n", text):
        block = _normalise_space(block)
        if block:
            paragraphs.append(block)
    return paragraphs


def _looks_wrapped(text: str) -> bool:
    return "\n    " in text or ("\n" in text and "\n\n" not in text)


def _normalise_space(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def word_count(text: str) -> int:
    """Whitespace-separated words: the unit of every length limit here."""
    return len(text.split())


def make_contexts(paragraphs: Sequence[str], rng: random.Random) -> list[str]:
    """SQuAD-like paragraphs of MIN_WORDS-MAX_WORDS words, joined by newlines as in chunks.

    Source paragraphs are merged in order until a randomly drawn target length is
    reached; a paragraph longer than MAX_WORDS is split at sentence boundaries first.
    Only prose is kept (tables of figures and headline lists are dropped).
    """
    units: list[str] = []
    for paragraph in paragraphs:
        if word_count(paragraph) <= MAX_WORDS:
            units.append(paragraph)
            continue
        piece: list[str] = []
        for start, end in split_sentences(paragraph):
            sentence = paragraph[start:end]
            if piece and word_count(" ".join(piece + [sentence])) > 120:
                units.append(" ".join(piece))
                piece = []
            piece.append(sentence)
        if piece:
            units.append(" ".join(piece))
    contexts: list[list[str]] = []
    current: list[str] = []
    target = rng.randint(MIN_WORDS + 20, 150)
    for unit in units:
        if not is_prose(unit):
            if current:
                contexts.append(current)
            current, target = [], rng.randint(MIN_WORDS + 20, 150)
            continue
        if current and word_count(" ".join(current + [unit])) > MAX_WORDS:
            contexts.append(current)
            current, target = [], rng.randint(MIN_WORDS + 20, 150)
        current.append(unit)
        if word_count(" ".join(current)) >= target:
            contexts.append(current)
            current, target = [], rng.randint(MIN_WORDS + 20, 150)
    if current:
        if contexts and word_count(" ".join(contexts[-1] + current)) <= MAX_WORDS:
            contexts[-1] = contexts[-1] + current
        else:
            contexts.append(current)
    joined = ["\n".join(c) for c in contexts]
    return [c for c in joined if MIN_WORDS <= word_count(c) <= MAX_WORDS]


def is_prose(text: str) -> bool:
    """Running text rather than a table of figures, a list or a shouted headline."""
    tokens = text.split()
    if len(tokens) < 6:
        return False
    alpha = sum(1 for t in tokens if re.fullmatch(r"[A-Za-z][A-Za-z'’.\-]*[,;:]?", t))
    letters = [c for c in text if c.isalpha()]
    upper = sum(1 for c in letters if c.isupper()) / max(1, len(letters))
    function = sum(1 for t in tokens if t.lower() in {"the", "a", "of", "to", "in", "and", "is", "was", "for"})
    return (
        alpha / len(tokens) >= 0.6
        and upper < 0.3
        and function >= 2
        and len(re.findall(r"\bvs\b", text)) <= 1
        and re.search(r"[.!?][\"'”’)]*$", text.strip()) is not None
    )


def select_articles(path: Path, corpus: str, max_articles: int, seed: int) -> list[NewsArticle]:
    """A seeded sample of a corpus's stories with enough prose for at least one context."""
    articles = [a for a in read_articles(path, corpus) if sum(word_count(p) for p in a.paragraphs) >= MIN_WORDS]
    random.Random(f"{seed}:{corpus}").shuffle(articles)
    return articles[:max_articles] if max_articles > 0 else articles


# ------------------------------------------------------------------------- seeds


def _seed_files() -> list[Path]:
    files: list[Path] = []
    for directory in (ROOT / "seeds", ROOT.parent / "shared" / "seeds"):
        if directory.is_dir():
            files.extend(sorted(directory.glob("*.txt")))
    return files


def _fingerprint(sentence: str) -> str | None:
    words = re.findall(r"[a-z0-9]+", sentence.lower())
    if len(words) < 8:
        return None
    return hashlib.sha1(" ".join(words).encode("utf-8")).hexdigest()


class SeedGuard:
    """Recognises any story that shares a sentence (8+ words) with a seed article."""

    def __init__(self, seed_texts: Iterable[str] | None = None):
        if seed_texts is None:
            seed_texts = [p.read_text(encoding="utf-8") for p in _seed_files()]
        self.fingerprints: set[str] = set()
        for text in seed_texts:
            for line in text.splitlines():
                for start, end in split_sentences(line):
                    fp = _fingerprint(line[start:end])
                    if fp:
                        self.fingerprints.add(fp)

    def matches(self, article: NewsArticle) -> bool:
        for text in (article.title, *article.paragraphs):
            for start, end in split_sentences(text):
                if _fingerprint(text[start:end]) in self.fingerprints:
                    return True
        return False
