"""Uploaded articles: names can't escape the corpus, bad files are refused with a reason."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from qa.ui import uploads
from qa.ui.uploads import UploadError, safe_filename, save_upload, save_uploads

ARTICLE = b"Harbour reopens after storm\nThe harbour reopened on Monday after the storm.\n"


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "seed.txt").write_bytes(ARTICLE)
    return root


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to((root / "uploads").resolve())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../x", "x.txt"),
        ("/etc/passwd", "passwd.txt"),
        ("..\\..\\windows\\evil.md", "evil.md"),
        ("../../x.txt", "x.txt"),
        (".bashrc", "bashrc.txt"),
        ("Notes On Kyiv (final).TXT", "Notes_On_Kyiv_final.txt"),
        ("feed.JSONL", "feed.jsonl"),
        ("-rf.txt", "rf.txt"),
        ("...", "upload.txt"),
        ("Kyiv–Kharkiv é.md", "Kyiv_Kharkiv_é.md"),
        ("наш репортаж.md", "наш_репортаж.md"),
        ("\uff0e\uff0e\uff0fsecret.txt", "secret.txt"),  # fullwidth "../" is still a path
        ("con.txt", "con_.txt"),
        ("a\x00b.txt", "ab.txt"),
    ],
)
def test_safe_filename_keeps_only_a_plain_name(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


@pytest.mark.parametrize("name", ["report.pdf", "photo.jpg", "page.html", "archive.tar.gz", "x.txt.exe"])
def test_other_file_types_are_refused(name: str) -> None:
    with pytest.raises(UploadError, match="unsupported file type"):
        safe_filename(name)


@pytest.mark.parametrize("name", ["../../x", "/etc/passwd", "../../../tmp/owned.txt", "uploads/../../y.md"])
def test_traversal_names_are_saved_inside_the_uploads_folder(corpus: Path, name: str) -> None:
    saved = save_upload(ARTICLE, name, corpus)
    assert _inside(saved.path, corpus) and saved.path.parent == (corpus / "uploads").resolve()
    assert saved.source == f"uploads/{saved.path.name}" and saved.articles == 1
    assert saved.path.read_bytes() == ARTICLE
    assert not (corpus.parent / "x").exists() and not (corpus.parent / "tmp").exists()


def test_size_limit(corpus: Path) -> None:
    with pytest.raises(UploadError, match="over the 1 KB upload limit"):
        save_upload(b"x" * 2048, "big.txt", corpus, max_bytes=1024)
    assert not (corpus / "uploads" / "big.txt").exists()


def test_encoding_is_checked(corpus: Path) -> None:
    with pytest.raises(UploadError, match="not UTF-8 text"):
        save_upload("Café reopens\nThe café reopened.".encode("latin-1"), "cafe.txt", corpus)
    with pytest.raises(UploadError, match="binary"):
        save_upload(b"PK\x03\x04\x00\x00binary", "zip.txt", corpus)
    with pytest.raises(UploadError, match="empty"):
        save_upload(b"  \n\n ", "blank.md", corpus)
    utf16 = "Café reopens\nThe café reopened on Monday.\n".encode("utf-16")
    assert save_upload(utf16, "cafe16.txt", corpus).articles == 1  # UTF-16 with a BOM is fine


def test_jsonl_needs_at_least_one_valid_record_and_reports_skipped_ones(corpus: Path) -> None:
    with pytest.raises(UploadError, match="no articles"):
        save_upload(b'{"oops": 1}\nnot json\n', "bad.jsonl", corpus)
    good = json.dumps({"id": "a1", "title": "Dam opens", "date": "2024-05-01", "text": "The dam opened."})
    saved = save_upload(f"{good}\nnot json\n".encode(), "feed.jsonl", corpus)
    assert saved.articles == 1
    assert any("bad record" in note and "feed.jsonl" in note for note in saved.notes)


def test_existing_files_are_never_overwritten(corpus: Path) -> None:
    first = save_upload(ARTICLE, "story.txt", corpus)
    again = save_upload(ARTICLE, "story.txt", corpus)
    other = save_upload(ARTICLE.replace(b"Monday", b"Tuesday"), "story.txt", corpus)
    assert again.already_present and again.path == first.path
    assert other.path.name == "story-2.txt" and not other.already_present
    assert first.path.read_bytes() == ARTICLE


def test_a_planted_symlink_is_not_written_through(corpus: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    (corpus / "uploads").mkdir()
    os.symlink(outside, corpus / "uploads" / "story.txt")
    saved = save_upload(ARTICLE, "story.txt", corpus)
    assert saved.path.name == "story-2.txt" and outside.read_text() == "keep me"


def test_an_uploads_folder_linking_outside_the_corpus_is_refused(corpus: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, corpus / "uploads")
    with pytest.raises(UploadError, match="outside the corpus"):
        save_upload(ARTICLE, "story.txt", corpus)
    assert list(elsewhere.iterdir()) == []


def test_no_temporary_files_are_left_behind(corpus: Path) -> None:
    with pytest.raises(UploadError):
        save_upload(b'{"oops": 1}\n', "bad.jsonl", corpus)
    save_upload(ARTICLE, "ok.md", corpus)
    assert sorted(p.name for p in (corpus / "uploads").iterdir()) == ["ok.md"]


def test_save_uploads_keeps_good_files_and_explains_bad_ones(corpus: Path, tmp_path: Path) -> None:
    good, bad, big = tmp_path / "good.txt", tmp_path / "bad.pdf", tmp_path / "big.md"
    good.write_bytes(ARTICLE)
    bad.write_bytes(b"%PDF")
    big.write_bytes(b"x" * 3000)
    saved, errors = save_uploads([good, bad, big], corpus, max_bytes=2000)
    assert [s.source for s in saved] == ["uploads/good.txt"]
    assert len(errors) == 2 and "'bad.pdf'" in errors[0] and "upload limit" in errors[1]


def test_too_many_files_at_once(corpus: Path, tmp_path: Path) -> None:
    files = []
    for i in range(uploads.MAX_FILES_PER_UPLOAD + 2):
        path = tmp_path / f"a{i}.txt"
        path.write_bytes(ARTICLE.replace(b"Monday", f"day {i}".encode()))
        files.append(path)
    saved, errors = save_uploads(files, corpus)
    assert len(saved) == uploads.MAX_FILES_PER_UPLOAD and "only the first" in errors[0]


def test_uploads_are_listed_and_only_uploads_can_be_removed(corpus: Path, tmp_path: Path) -> None:
    saved = save_upload(ARTICLE, "harbour.txt", corpus)
    (corpus / "uploads" / ".upload-half.txt").write_bytes(ARTICLE)  # half-written: not an upload
    outside = tmp_path / "outside.txt"
    outside.write_bytes(ARTICLE)
    (corpus / "uploads" / "link.txt").symlink_to(outside)
    assert uploads.list_uploads(corpus) == [saved.source] == ["uploads/harbour.txt"]
    for refused in ("seed.txt", "uploads/../seed.txt", "uploads/link.txt", "uploads/.upload-half.txt", "/etc/passwd"):
        with pytest.raises(UploadError, match="not an uploaded article"):
            uploads.remove_upload(refused, corpus)
    assert (corpus / "seed.txt").exists() and outside.exists()
    assert uploads.remove_upload("uploads/harbour.txt", corpus) == saved.path
    assert not saved.path.exists() and uploads.list_uploads(corpus) == []
    assert uploads.list_uploads(tmp_path / "no-corpus") == []
