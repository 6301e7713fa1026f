"""The milvus store (qa/store_milvus.py) on Milvus Lite: the same searches, filters,
answers and citations as the faiss store, and the same crash/repair story."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("pymilvus", reason="the milvus extra is not installed (pip install -e '.[milvus]')")

from qa.config import Settings
from qa.store import IndexUnreadable
from qa.store_milvus import MilvusIndex, collection_name
from qa.stores import open_index
from qa.types import Filter

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [json.loads(line) for line in (ROOT / "tests" / "data" / "seed_questions.jsonl").open(encoding="utf-8")]
DATED = {
    "a_march.txt": " date 2022-03-02 UN assembly votes\nThe General Assembly vote was 141 to 5.\n",
    "uploads/b_october.txt": " date 2022-10-12 UN assembly votes again\nThe General Assembly vote was 143 to 5.\n",
    "news.jsonl": json.dumps({"id": "x", "title": "Cup vote", "text": "Fans voted 70 to 30."}) + "\n",
}


@pytest.fixture(scope="module")
def milvus_index(seed_corpus, tmp_path_factory) -> MilvusIndex:
    index, _ = open_index(tmp_path_factory.mktemp("milvus-index"), [seed_corpus], Settings(store="milvus"), bar=False)
    assert isinstance(index, MilvusIndex)
    return index


@pytest.mark.parametrize("question", [q["question"] for q in QUESTIONS[:20]])
def test_both_stores_rank_the_same_passages(seed_index, milvus_index, question: str) -> None:
    for search in ("search_bm25", "search_dense"):
        faiss_ids = [i for i, _ in getattr(seed_index, search)(question, 5)]
        milvus_ids = [i for i, _ in getattr(milvus_index, search)(question, 5)]
        assert milvus_ids == faiss_ids, search


def test_filters_are_pushed_down_as_expressions(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    for name, text in DATED.items():
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text(text, encoding="utf-8")
    faiss, _ = open_index(tmp_path / "f", [corpus], Settings(), bar=False)
    milvus, _ = open_index(tmp_path / "m", [corpus], Settings(store="milvus"), bar=False)
    filters = [
        Filter.of(since="2022-10-01"),
        Filter.of(until="2022-03-31"),
        Filter.of(sources=["uploads/"]),
        Filter.of(sources=["news.jsonl", "a_march.txt"]),
        Filter.of(since="2023-01-01"),
    ]
    for where in filters:
        for search in ("search_bm25", "search_dense"):
            expected = [faiss.chunks[i].source for i, _ in getattr(faiss, search)("vote", 5, where)]
            found = [milvus.chunks[i].source for i, _ in getattr(milvus, search)("vote", 5, where)]
            assert found == expected, (where, search)
    assert milvus.expression(Filter.of(since="2022-10-01", sources=["uploads/"])) == (
        'date >= "2022-10-01" and source in ["uploads/b_october.txt"]'
    )


def test_an_update_writes_a_new_collection_and_drops_the_old(tmp_path: Path, seed_corpus: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(seed_corpus, corpus)
    index, _ = open_index(tmp_path / "index", [corpus], Settings(store="milvus"), bar=False)
    first = collection_name((tmp_path / "index" / "CURRENT").read_text())
    (corpus / "extra.txt").write_text("Harbour reopens\nThe port of Valdris reopened on Monday.\n", encoding="utf-8")
    index.sync(bar=False)
    second = collection_name((tmp_path / "index" / "CURRENT").read_text())
    assert second != first and index.client().list_collections() == [second]
    assert index.chunks[index.search_bm25("Valdris port", 1)[0][0]].source == "extra.txt"


def test_a_missing_collection_is_damage_that_qa_index_repairs(tmp_path: Path, seed_corpus: Path) -> None:
    settings = Settings(store="milvus")
    index, _ = open_index(tmp_path / "index", [seed_corpus], settings, bar=False)
    name = collection_name((tmp_path / "index" / "CURRENT").read_text())
    index.client().drop_collection(name)
    with pytest.raises(IndexUnreadable, match="no collection"):
        open_index(tmp_path / "index", [seed_corpus], settings, bar=False)
    with pytest.warns(UserWarning, match="rebuilding"):
        repaired, report = open_index(tmp_path / "index", [seed_corpus], settings, bar=False, repair=True)
    assert report.rebuilt and repaired.search_bm25("UNGA vote", 1)


@pytest.mark.slow
def test_the_seed_questions_get_the_same_answers_and_citations_through_both_stores(
    seed_index, milvus_index, reader_dir
) -> None:
    from qa.assistant import Assistant

    settings = seed_index.settings.with_overrides(reader_path=reader_dir, answer_cache=0)
    faiss_bot = Assistant(seed_index, settings)
    milvus_bot = Assistant(milvus_index, settings.with_overrides(store="milvus"), reader=faiss_bot.reader)
    for q in QUESTIONS:
        a = faiss_bot.answer(q["question"], history=q.get("history"))
        b = milvus_bot.answer(q["question"], history=q.get("history"))
        assert (b.text, b.abstained) == (a.text, a.abstained), q["id"]
        assert [(c.source, c.line) for c in b.citations] == [(c.source, c.line) for c in a.citations], q["id"]
        assert [h.chunk.source for h in b.passages] == [h.chunk.source for h in a.passages], q["id"]
