"""Shared fixtures: a tiny real index over the seed article (real MiniLM, real FAISS)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

# int8 reader copies (qa.reader_int8) go to a test-only cache, never the user's
os.environ.setdefault("NEWSQA_CACHE", str(Path(tempfile.gettempdir()) / "newsqa-test-cache"))

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
SEED_FILE = "000_40ab86d132b0175c.txt"


@pytest.fixture(scope="session")
def seed_corpus(tmp_path_factory) -> Path:
    corpus = tmp_path_factory.mktemp("seed-corpus")
    shutil.copy(SEEDS / SEED_FILE, corpus / SEED_FILE)
    return corpus


@pytest.fixture(scope="session")
def seed_index(seed_corpus, tmp_path_factory):
    from qa.config import Settings
    from qa.store import CorpusIndex

    index_dir = tmp_path_factory.mktemp("seed-index")
    index, _ = CorpusIndex.open(index_dir, [seed_corpus], Settings(), bar=False)
    return index


@pytest.fixture(scope="session")
def reader_dir() -> Path:
    """The project's shipped reader: every answer-quality test runs against it."""
    from qa.config import DEFAULT_READER_DIR
    from qa.reader import ReaderError, check_reader_dir

    try:
        return check_reader_dir(DEFAULT_READER_DIR)
    except ReaderError as err:
        pytest.fail(f"the bundled reader is missing: {err}")


@pytest.fixture(scope="session")
def seed_assistant(seed_index, reader_dir):
    from qa.assistant import Assistant

    return Assistant(seed_index, seed_index.settings.with_overrides(reader_path=reader_dir))
