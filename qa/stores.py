"""Opening an index in the store its settings name: `faiss` or `milvus`.

Kept apart from both backends so neither imports the other: `qa.store` is the faiss
store and the shared machinery, `qa.store_milvus` builds on it, and callers that follow
`Settings.store` (the assistant, the CLI) open indexes here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qa.config import Settings, Store
from qa.store import CorpusIndex, UpdateReport


def index_class(settings: Settings) -> type[CorpusIndex]:
    """The `CorpusIndex` class for `settings.store` (the milvus one needs the [milvus] extra)."""
    if settings.store is Store.MILVUS:
        from qa.store_milvus import MilvusIndex

        return MilvusIndex
    return CorpusIndex


def open_index(
    index_dir: Path, roots: list[Path], settings: Settings, **options: Any
) -> tuple[CorpusIndex, UpdateReport]:
    """`CorpusIndex.open` in the store `settings` name (same options)."""
    return index_class(settings).open(index_dir, roots, settings, **options)
