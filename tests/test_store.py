"""Index persistence: incremental updates, fingerprints, atomic generations."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from qa.config import Settings
from qa.retrieve import retrieve
from qa.store import CorpusIndex, IndexUnreadable

STORY_A = " date 2024-05-01 Harbour bridge reopens after repairs\n- Traffic returns.\nThe harbour bridge reopened on Monday after six months of repairs costing 40 million euros.\n"
STORY_B = " date 2024-05-02 Orchestra names new conductor\n- A surprise choice.\nThe city orchestra named Ana Ruiz as its principal conductor from September.\n"
STORY_C = " date 2024-05-03 Flood warning lifted in valley towns\n- Rivers fall.\nAuthorities lifted the flood warning for the valley towns after the river level fell by two metres.\n"


def _open(index_dir: Path, corpus: Path, **settings):
    return CorpusIndex.open(index_dir, [corpus], Settings(**settings), bar=False)


def _current(index_dir: Path) -> str:
    return (index_dir / "CURRENT").read_text()


@pytest.fixture()
def corpus(tmp_path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "a.txt").write_text(STORY_A, encoding="utf-8")
    (root / "b.txt").write_text(STORY_B, encoding="utf-8")
    return root


def test_build_then_reload_without_rewriting(tmp_path, corpus):
    index_dir = tmp_path / "index"
    index, report = _open(index_dir, corpus)
    assert sorted(report.added) == ["a.txt", "b.txt"]
    assert len(index.chunks) == len(index.vectors) == len(index.search_dense("bridge", 1000)) > 0
    assert np.allclose(np.linalg.norm(index.vectors, axis=1), 1.0, atol=1e-5)
    generation = _current(index_dir)

    again, report = _open(index_dir, corpus)
    assert not report.dirty and report.unchanged == 2
    assert _current(index_dir) == generation
    assert [c.text for c in again.chunks] == [c.text for c in index.chunks]


def test_incremental_add_change_remove(tmp_path, corpus):
    index_dir = tmp_path / "index"
    index, _ = _open(index_dir, corpus)
    b_vectors = {c.text: v for c, v in zip(index.chunks, index.vectors) if c.source == "b.txt"}

    (corpus / "c.txt").write_text(STORY_C, encoding="utf-8")
    index, report = _open(index_dir, corpus)
    assert report.added == ["c.txt"] and report.unchanged == 2
    top = retrieve(index, "flood warning valley river", 1)[0]
    assert top.chunk.source == "c.txt"

    (corpus / "a.txt").write_text(STORY_A.replace("40 million euros", "55 million euros"), encoding="utf-8")
    index, report = _open(index_dir, corpus)
    assert report.changed == ["a.txt"] and report.unchanged == 2
    assert any("55 million euros" in c.text for c in index.chunks)
    assert not any("40 million euros" in c.text for c in index.chunks)
    # unchanged files keep their vectors (not re-embedded, identical rows)
    for chunk, vector in zip(index.chunks, index.vectors):
        if chunk.source == "b.txt":
            assert np.array_equal(vector, b_vectors[chunk.text])

    (corpus / "b.txt").unlink()
    index, report = _open(index_dir, corpus)
    assert report.removed == ["b.txt"]
    assert {c.source for c in index.chunks} == {"a.txt", "c.txt"}
    assert len(index.chunks) == len(index.vectors) == len(index.search_dense("bridge", 1000))
    # b.txt's terms left the BM25 index with it: a stale index would still match them
    # (and point at rows that now hold other chunks)
    assert index.search_bm25("orchestra conductor", 3) == []
    reopened, _ = _open(index_dir, corpus)  # and so does the BM25 index written to disk
    assert reopened.search_bm25("orchestra conductor", 3) == []
    assert [reopened.chunks[i].source for i, _ in reopened.search_bm25("flood warning", 3)][:1] == ["c.txt"]


def test_touched_but_identical_file_is_not_reembedded(tmp_path, corpus):
    index_dir = tmp_path / "index"
    _open(index_dir, corpus)
    path = corpus / "a.txt"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))
    generation = _current(index_dir)
    _, report = _open(index_dir, corpus)
    assert not report.added and not report.changed and report.unchanged == 2
    assert _current(index_dir) == generation  # same rows: only the manifest is rewritten
    reopened, report = _open(index_dir, corpus)
    assert reopened.files[str(path.resolve())].mtime_ns == path.stat().st_mtime_ns
    assert str(report) == "0 added, 0 changed, 0 removed, 2 unchanged"
    assert [h.chunk.source for h in retrieve(reopened, "harbour bridge repairs", 1)] == ["a.txt"]


def test_changed_chunking_rebuilds(tmp_path, corpus):
    index_dir = tmp_path / "index"
    _open(index_dir, corpus)
    _, report = _open(index_dir, corpus, chunk_tokens=64, chunk_overlap=16)
    assert report.rebuilt and sorted(report.added) == ["a.txt", "b.txt"]


def test_crash_while_writing_keeps_previous_generation(tmp_path, corpus, monkeypatch):
    index_dir = tmp_path / "index"
    before, _ = _open(index_dir, corpus)
    generation = _current(index_dir)
    (corpus / "c.txt").write_text(STORY_C, encoding="utf-8")

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "save", crash)
    with pytest.raises(OSError):
        _open(index_dir, corpus)
    monkeypatch.undo()

    assert _current(index_dir) == generation
    survivor = CorpusIndex(index_dir, [corpus], Settings())
    assert survivor.load() and len(survivor.chunks) == len(before.chunks)
    index, report = _open(index_dir, corpus)  # and the next start finishes the job
    assert report.added == ["c.txt"]


def test_unreadable_index_is_reported(tmp_path, corpus):
    index_dir = tmp_path / "index"
    _open(index_dir, corpus)
    gen = index_dir / _current(index_dir)
    (gen / "chunks.jsonl").write_text("{not json\n")
    with pytest.raises(IndexUnreadable):
        _open(index_dir, corpus)


def test_missing_corpus_path(tmp_path):
    with pytest.raises(FileNotFoundError):
        CorpusIndex.open(tmp_path / "index", [tmp_path / "nowhere"], Settings(), bar=False)


def test_corpus_without_text_gives_an_empty_but_working_index(tmp_path):
    root = tmp_path / "empty"
    root.mkdir()
    (root / "blank.txt").write_text("\n\n", encoding="utf-8")
    index, _ = _open(tmp_path / "index", root)
    assert index.chunks == [] and index.vectors.shape == (0, 384)
    assert retrieve(index, "anything at all", 3) == []
    reopened, report = _open(tmp_path / "index", root)
    assert not report.dirty and retrieve(reopened, "anything", 3) == []
