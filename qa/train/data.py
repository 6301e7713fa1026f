"""The reader's training mix, built only from data the project may train on.

Held-out benchmarks never enter here: SQuAD v1.1 dev articles 32-47 (and the SQuAD
v2.0 dev articles with the same titles) and QED dev. A small validation slice is cut
from the training data itself (by paragraph, so no context is shared) for picking
checkpoints.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from qa.errors import NewsQAError
from qa.squad import QAExample, article_titles, load_squad
from qa.train.entity_swap import entity_swap_negatives, spacy_tagger


class TrainingDataError(NewsQAError, ValueError):
    """A training config asks for data that is not there (an unknown source, spaCy)."""


SQUAD_TRAIN_ARTICLES = range(0, 32)
SQUAD_HELDOUT_ARTICLES = range(32, 48)
PARAGRAPH_SWAP_SUFFIX = "/neg"  # id suffix of paragraph-swap negatives
# Synthetic news QA made by `python -m qa.train.synthetic` (SQuAD v2.0 format, not in git);
# QA_SYNTHETIC_NEWS or the `synthetic_path` argument points elsewhere.
SYNTHETIC_NEWS_PATH = Path("runs/synthetic/news_qa.json")


def synthetic_news_path(path: Path | str | None = None) -> Path:
    return Path(path or os.environ.get("QA_SYNTHETIC_NEWS") or SYNTHETIC_NEWS_PATH)


def _paragraph_bucket(context: str, buckets: int = 1000) -> int:
    return int(hashlib.sha1(context.encode("utf-8")).hexdigest()[:8], 16) % buckets


SYNTHETIC_SOURCE = "synthetic_news"


def _loaders(data_dir: Path, synthetic_path: Path | str | None = None) -> dict[str, Callable[[], list[QAExample]]]:
    """Source name -> how to load it (from ../shared/data-style layout); nothing is read yet."""
    v1 = data_dir / "squad-v1.1-dev/dev-v1.1.json"
    return {
        "squad_v1_train": lambda: load_squad(v1, SQUAD_TRAIN_ARTICLES),
        "squad_v2_unanswerable": lambda: _squad_v2_train_unanswerable(data_dir, v1),
        "squadshifts_new_wiki": lambda: load_squad(data_dir / "squadshifts/new_wiki_v1.0.json"),
        "squadshifts_reddit": lambda: load_squad(data_dir / "squadshifts/reddit_v1.0.json"),
        "squadshifts_amazon": lambda: load_squad(data_dir / "squadshifts/amazon_reviews_v1.0.json"),
        "qed_train": lambda: load_squad(data_dir / "qed/qed-train.squad.json"),
        "covid_qa": lambda: load_squad(data_dir / "covid-qa/COVID-QA.json", fix_offsets=True),
        SYNTHETIC_SOURCE: lambda: load_squad(synthetic_news_path(synthetic_path)),
    }


TRAINING_SOURCES = frozenset(_loaders(Path()))  # every source a training config may name


def load_sources(data_dir: Path, sources: list[str], synthetic_path: Path | str | None = None) -> list[QAExample]:
    """Load the named training sources from ../shared/data-style layout.

    `synthetic_news` is read from `synthetic_news_path(synthetic_path)`, not from data_dir.
    Every id becomes "<source>/<original id>" (see `QAExample.source`).
    """
    unknown = [s for s in sources if s not in TRAINING_SOURCES]
    if unknown:
        raise TrainingDataError(f"unknown training sources {unknown}; known: {sorted(TRAINING_SOURCES)}")
    loaders = _loaders(data_dir, synthetic_path)
    examples: list[QAExample] = []
    for name in sources:
        examples.extend(replace(e, id=f"{name}/{e.id}") for e in loaders[name]())
    return examples


def _squad_v2_train_unanswerable(data_dir: Path, v1: Path) -> list[QAExample]:
    held_out = article_titles(v1, SQUAD_HELDOUT_ARTICLES)
    v2 = load_squad(data_dir / "squad-v2.0-dev/dev-v2.0.json")
    return [e for e in v2 if e.is_impossible and e.title not in held_out]


def _require_spacy():
    from qa.train.synthetic.spacy_answers import load_spacy  # spaCy is optional: only swaps need it

    nlp = load_spacy()
    if nlp is None:
        raise TrainingDataError("swap_fraction > 0 needs spaCy and its English pipeline: pip install -e '.[synthetic]'")
    return nlp


def paragraph_swap_negatives(examples: list[QAExample], fraction: float, seed: int) -> list[QAExample]:
    """Unanswerable pairs: a question with another paragraph of its article lacking the answer.

    This teaches the reader that a plausible-looking passage from the same story is not
    an answer, which is exactly the situation retrieval creates.
    """
    rng = random.Random(seed)
    by_article: dict[tuple[str, int, str], list[str]] = {}
    for e in examples:
        key = (e.source, e.article, e.title)
        contexts = by_article.setdefault(key, [])
        if not contexts or contexts[-1] != e.context:
            contexts.append(e.context)
    negatives = []
    for e in examples:
        if e.is_impossible or rng.random() >= fraction:
            continue
        pool = by_article[(e.source, e.article, e.title)]
        answers = [a.lower() for a, _ in e.answers]
        candidates = [c for c in pool if c != e.context and not any(a in c.lower() for a in answers)]
        if candidates:
            negatives.append(
                replace(
                    e,
                    id=f"{e.id}{PARAGRAPH_SWAP_SUFFIX}",
                    context=rng.choice(candidates),
                    answers=(),
                    is_impossible=True,
                )
            )
    return negatives


def build_training_set(
    data_dir: Path,
    sources: list[str],
    negative_fraction: float,
    val_per_mille: int,
    seed: int,
    swap_fraction: float = 0.0,
) -> tuple[list[QAExample], list[QAExample]]:
    """Return (train, validation) examples; validation is a paragraph-level slice.

    A negative shares its paragraph with the question it was made from, so both land on
    the same side of the split.
    """
    examples = load_sources(data_dir, sources)
    negatives = paragraph_swap_negatives(examples, negative_fraction, seed)
    if swap_fraction > 0:
        negatives += entity_swap_negatives(examples, swap_fraction, seed, spacy_tagger(_require_spacy()))
    examples += negatives
    train = [e for e in examples if _paragraph_bucket(e.context) >= val_per_mille]
    val = [e for e in examples if _paragraph_bucket(e.context) < val_per_mille]
    return train, val
