"""Issue #18, defect 5: binary, Latin-1 and BOM-less UTF-16BE files given to `qa index`
were indexed as replacement characters while uploads refused them. One definition of
"text" (`qa.ingest.decode_text`) now serves both paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.cli import main
from qa.config import Settings
from qa.ingest import read_articles
from qa.store import CorpusIndex
from qa.ui.uploads import UploadError, save_upload

GOOD = "Dam opens\nThe new dam opened on Monday, officials said.\n"
NOT_TEXT = {
    "zip.txt": (b"PK\x03\x04\x00\x00binary\x00\x01\x02", "looks like a binary file"),
    "latin.txt": ("Café reopens\nThe café reopened on Monday.\n".encode("latin-1"), "not UTF-8 text"),
    "cp1252.md": ("# Talks\nHe said \u201cno\u201d \u2013 twice.\n".encode("cp1252"), "not UTF-8 text"),
    "utf16be.txt": (GOOD.encode("utf-16-be"), "looks like a binary file"),
    "feed.jsonl": ('{"id": 1, "title": "Café", "text": "Café."}\n'.encode("latin-1"), "not UTF-8 text"),
}


@pytest.mark.parametrize("name", sorted(NOT_TEXT))
def test_read_articles_skips_a_file_that_is_not_text(name: str, tmp_path: Path) -> None:
    data, reason = NOT_TEXT[name]
    (tmp_path / name).write_bytes(data)
    with pytest.warns(UserWarning, match=rf"skipping .*{name.replace('.', '[.]')}: {reason}"):
        assert read_articles(tmp_path / name, tmp_path) == []


@pytest.mark.parametrize("name", sorted(NOT_TEXT))
def test_upload_refuses_the_same_files(name: str, tmp_path: Path) -> None:
    data, reason = NOT_TEXT[name]
    with pytest.raises(UploadError, match=reason):
        save_upload(data, name, tmp_path / "corpus")


def test_qa_index_indexes_only_the_text_files(tmp_path: Path, capsys) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(GOOD, encoding="utf-8")
    for name, (data, _) in NOT_TEXT.items():
        (corpus / name).write_bytes(data)
    with pytest.warns(UserWarning) as caught:
        assert main(["index", str(corpus), "--index", str(tmp_path / "index")]) == 0
    skipped = sorted(Path(str(w.message).split(": ", 1)[0].removeprefix("skipping ")).name for w in caught)
    assert skipped == sorted(NOT_TEXT)
    index, _ = CorpusIndex.open(tmp_path / "index", [corpus], Settings(), bar=False)
    assert {c.source for c in index.chunks} == {"good.txt"}
    assert not any("\ufffd" in c.text or "\x00" in c.text for c in index.chunks)


def test_a_few_bad_bytes_in_utf8_are_kept_with_a_warning_on_both_paths(tmp_path: Path) -> None:
    data = "Café reopens\nThe café reopened on Monday – at last.\n".encode() + b"One bad \xff byte.\n"
    (tmp_path / "mostly.txt").write_bytes(data)
    with pytest.warns(UserWarning, match=r"mostly\.txt: not valid UTF-8 .* 1 undecodable byte"):
        [article] = read_articles(tmp_path / "mostly.txt", tmp_path)
    assert article.title == "Café reopens" and article.lines[-1].text == "One bad \ufffd byte."
    saved = save_upload(data, "mostly.txt", tmp_path / "corpus")
    assert saved.articles == 1 and any("undecodable" in note for note in saved.notes)


def test_utf16_with_a_bom_is_text_on_both_paths(tmp_path: Path) -> None:
    data = GOOD.encode("utf-16")
    (tmp_path / "u16.txt").write_bytes(data)
    [article] = read_articles(tmp_path / "u16.txt", tmp_path)
    assert article.title == "Dam opens"
    assert save_upload(data, "u16.txt", tmp_path / "corpus").articles == 1
