"""Issue #18, defect 2: a 50 MB text file made indexing take hours, and every `qa ask`
re-indexed first and hung. Files over the per-file limit are skipped with a warning, and
`qa ask` indexes on the fly only a small amount of text, else says to run `qa index`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa.cli import main
from qa.config import Settings
from qa.ingest import read_articles
from qa.store import CorpusIndex

SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_40ab86d132b0175c.txt"
FIFTY_MB = 50 * 1024 * 1024


def sparse_file(path: Path, size: int = FIFTY_MB) -> Path:
    """A file of `size` bytes that takes no time (or disk) to make."""
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    shutil.copy(SEED, root / SEED.name)
    return root


def test_oversized_file_is_skipped_unread_with_a_warning(tmp_path: Path) -> None:
    big = sparse_file(tmp_path / "dump.txt")
    with pytest.warns(UserWarning, match=r"skipping .*dump\.txt: 50\.0 MB is over the 32\.0 MB per-file limit"):
        assert read_articles(big, tmp_path) == []


def test_qa_index_skips_the_oversized_file_and_indexes_the_rest(corpus: Path, tmp_path: Path, capsys) -> None:
    sparse_file(corpus / "dump.txt")
    with pytest.warns(UserWarning, match=r"dump\.txt: 50\.0 MB is over the 32\.0 MB per-file limit"):
        assert main(["index", str(corpus), "--index", str(tmp_path / "index")]) == 0
    assert "2 added" in capsys.readouterr().out
    index, _ = CorpusIndex.open(tmp_path / "index", [corpus], Settings(), bar=False)
    assert {c.source for c in index.chunks} == {SEED.name}


def test_oversized_file_costs_nothing_against_the_update_bound(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    sparse_file(root / "dump.txt")
    with pytest.warns(UserWarning, match="per-file limit"):
        _, report = CorpusIndex.open(tmp_path / "index", [root], Settings(), bar=False, max_update_bytes=1000)
    assert report.added == ["dump.txt"] and report.pending_bytes == 0


def test_ask_refuses_to_build_a_big_index_itself(corpus: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr("qa.cli.ASK_MAX_UPDATE_BYTES", 1000, raising=False)
    index_dir = tmp_path / "index"
    code = main(["ask", "What was the UNGA vote?", "--corpus", str(corpus), "--index", str(index_dir)])
    err = capsys.readouterr().err
    assert code == 2
    [line] = err.strip().splitlines()
    assert line.startswith("error: the index at") and "does not exist yet: 1 file(s), 4 KB to read" in line
    assert f"run `qa index {corpus.resolve()} --index {index_dir}` first" in line
    assert not (index_dir / "CURRENT").exists()  # nothing was started


def test_ask_refuses_a_big_update_and_qa_index_does_it(corpus: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    index_dir = tmp_path / "index"
    assert main(["index", str(corpus), "--index", str(index_dir)]) == 0
    monkeypatch.setattr("qa.cli.ASK_MAX_UPDATE_BYTES", 4096, raising=False)
    (corpus / "more.txt").write_text("More news\n" + "The council met again today. " * 200 + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["ask", "When did the council meet?", "--index", str(index_dir)]) == 2
    err = capsys.readouterr().err
    assert "is out of date: 1 file(s), 6 KB to read, more than the 4 KB indexed on the fly" in err
    assert "qa index" in err and len(err.strip().splitlines()) == 1
    assert main(["index", str(corpus), "--index", str(index_dir)]) == 0
    assert "1 added" in capsys.readouterr().out
