"""Issue #18, tampered or damaged index: of 22 damaged states 11 stayed broken until the
folder was deleted by hand, 4 ended in tracebacks and 2 answered wrongly at confidence
1.00. Every file of a generation now has its sha256 in the manifest; loading checks them,
a damaged index is refused with one clear `IndexUnreadable` line naming the `qa index`
command that rebuilds it, and `qa index` does rebuild it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from qa.cli import main
from qa.config import Settings
from qa.store import CorpusIndex, IndexUnreadable

QUESTION = "What was the UNGA vote?"


def _gen(index_dir: Path) -> Path:
    return index_dir / (index_dir / "CURRENT").read_text().strip()


def _edit_passage(index_dir: Path) -> None:
    path = _gen(index_dir) / "chunks.jsonl"
    text = path.read_text(encoding="utf-8")
    assert "141 to 5" in text
    path.write_text(text.replace("141 to 5", "999 to 5"), encoding="utf-8")


def _truncate(name: str) -> Callable[[Path], None]:
    def tamper(index_dir: Path) -> None:
        path = _gen(index_dir) / name
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    return tamper


def _delete_faiss(index_dir: Path) -> None:
    (_gen(index_dir) / "faiss.index").unlink()


def _zero_vectors(index_dir: Path) -> None:
    gen = _gen(index_dir)
    np.save(gen / "vectors.npy", np.zeros_like(np.load(gen / "vectors.npy")))
    (gen / "faiss.index").unlink()


def _damage_bm25(index_dir: Path) -> None:
    victim = next(p for p in sorted((_gen(index_dir) / "bm25").iterdir()) if p.is_file())
    victim.write_bytes(victim.read_bytes() + b"\0garbage")


def _manifest_not_json(index_dir: Path) -> None:
    (_gen(index_dir) / "manifest.json").write_text("{", encoding="utf-8")


def _manifest_is_a_list(index_dir: Path) -> None:
    (_gen(index_dir) / "manifest.json").write_text("[1, 2]", encoding="utf-8")


def _manifest_without_checksums(index_dir: Path) -> None:
    path = _gen(index_dir) / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    del manifest["checksums"]
    path.write_text(json.dumps(manifest), encoding="utf-8")
    _edit_passage(index_dir)


def _current_escapes(index_dir: Path) -> None:
    (index_dir / "CURRENT").write_text("../../etc", encoding="ascii")


def _current_binary(index_dir: Path) -> None:
    (index_dir / "CURRENT").write_bytes(b"\xff\xfe\x00gen")


def _generation_deleted(index_dir: Path) -> None:
    shutil.rmtree(_gen(index_dir))


def _chunk_line_not_a_chunk(index_dir: Path) -> None:
    path = _gen(index_dir) / "chunks.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(["[1, 2]\n", *lines[1:]]), encoding="utf-8")


# (kind, tamper, what the refusal names)
DAMAGE = [
    ("passage text edited in chunks.jsonl", _edit_passage, "chunks.jsonl was changed"),
    ("chunks.jsonl truncated", _truncate("chunks.jsonl"), "chunks.jsonl was changed or truncated"),
    ("vectors.npy truncated", _truncate("vectors.npy"), "vectors.npy was changed or truncated"),
    ("faiss.index truncated", _truncate("faiss.index"), "faiss.index was changed or truncated"),
    ("faiss.index deleted", _delete_faiss, "faiss.index is missing"),
    ("vectors zeroed, faiss.index deleted", _zero_vectors, "faiss.index is missing"),
    ("bm25 file damaged", _damage_bm25, "bm25/"),
    ("manifest.json not JSON", _manifest_not_json, "unreadable"),
    ("manifest.json a list", _manifest_is_a_list, "not a JSON object"),
    ("checksums removed from manifest + text edited", _manifest_without_checksums, "no file checksums"),
    ("CURRENT points outside the index", _current_escapes, "CURRENT names '../../etc'"),
    ("CURRENT binary", _current_binary, "CURRENT is unreadable"),
    ("current generation deleted", _generation_deleted, "no generation here"),
    ("chunk line not a chunk", _chunk_line_not_a_chunk, "chunks.jsonl was changed"),
]
IDS = [kind for kind, _, _ in DAMAGE]


@pytest.fixture(scope="module")
def models(reader_dir):
    from qa.embed import Embedder
    from qa.reader import Reader

    settings = Settings().with_overrides(reader_path=reader_dir)
    return Embedder(settings.embedder_path), Reader.from_settings(settings), settings


@pytest.fixture(scope="module")
def good_index(seed_corpus, tmp_path_factory, models) -> Path:
    embedder, _, settings = models
    index_dir = tmp_path_factory.mktemp("good") / "index"
    CorpusIndex.open(index_dir, [seed_corpus], settings, bar=False, embedder=embedder)
    return index_dir


def _answer(index_dir: Path, corpus: Path, models):
    from qa.assistant import Assistant

    embedder, reader, settings = models
    index, _ = CorpusIndex.open(index_dir, [corpus], settings, bar=False, embedder=embedder)
    return Assistant(index, settings, reader=reader).answer(QUESTION)


@pytest.mark.parametrize(("kind", "tamper", "reason"), DAMAGE, ids=IDS)
def test_damaged_index_is_refused_then_repaired_by_qa_index(
    kind, tamper, reason, good_index, seed_corpus, models, tmp_path, capsys
):
    index_dir = tmp_path / "index"
    shutil.copytree(good_index, index_dir)
    tamper(index_dir)
    embedder, _, settings = models

    with pytest.raises(IndexUnreadable, match="run `qa index") as refused:
        CorpusIndex.open(index_dir, [seed_corpus], settings, bar=False, embedder=embedder)
    assert reason in str(refused.value)

    capsys.readouterr()
    assert main(["ask", QUESTION, "--corpus", str(seed_corpus), "--index", str(index_dir)]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("error: ") and "qa index" in err and "Traceback" not in err + out
    assert "999" not in out

    with pytest.warns(UserWarning, match="rebuilding it"):
        assert main(["index", str(seed_corpus), "--index", str(index_dir)]) == 0
    assert "Traceback" not in "".join(capsys.readouterr())

    result = _answer(index_dir, seed_corpus, models)
    assert result.text == "141 to 5" and not result.abstained
    assert (result.citations[0].source, result.citations[0].line) == (
        seed_corpus.joinpath("000_40ab86d132b0175c.txt").name,
        4,
    )
    assert sorted(p.name for p in index_dir.iterdir()) == [".lock", "CURRENT", _gen(index_dir).name]


def test_intact_index_loads_and_answers(good_index, seed_corpus, models, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(good_index, index_dir)
    assert _answer(index_dir, seed_corpus, models).text == "141 to 5"
    manifest = json.loads((_gen(index_dir) / "manifest.json").read_text(encoding="utf-8"))
    assert {"chunks.jsonl", "vectors.npy", "faiss.index"} <= set(manifest["checksums"])
    assert any(name.startswith("bm25/") for name in manifest["checksums"])
