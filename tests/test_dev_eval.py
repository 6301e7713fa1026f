"""The development-set threshold sweep (`qa eval --sweep`, scripts/dev_eval.py): scoring
rules and the sampled corpus, no model needed; and the dev question files themselves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.evaluate import sweep as dev
from qa.evaluate.datasets import DatasetError, EvalQuestion, load_questions
from qa.evaluate.scoring import Row
from qa.ingest import read_articles

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
CORPUS_FILES = {
    "bbc.jsonl": SHARED / "bbc-news" / "bbc.jsonl",
    "reuters.jsonl": SHARED / "reuters-21578" / "reuters.jsonl",
}
DEV_SETS = sorted((ROOT / "tests" / "data").glob("*_dev_questions.jsonl"))


def _row(answerable: bool, score: float, correct: bool, best_text: str = "x") -> Row:
    return Row(
        id="q",
        question="?",
        history=[],
        answers=["x"] if answerable else [],
        answerable=answerable,
        gold_source=None,
        gold_lines=[],
        predicted=best_text,
        best_text=best_text,
        score=score,
        abstained=False,
        em=float(correct),
        f1=float(correct),
        best_correct=correct,
        citation_correct=correct if answerable else None,
    )


def test_a_row_is_right_when_answered_correctly_or_declined_when_unanswerable():
    right, wrong, unanswerable = _row(True, 0.4, True), _row(True, 0.9, False), _row(False, 0.3, False)
    assert dev.right_at(right, 0.3) and not dev.right_at(right, 0.5)  # declined: no longer right
    assert not dev.right_at(wrong, 0.1)
    assert not dev.right_at(unanswerable, 0.2) and dev.right_at(unanswerable, 0.35)
    assert dev.right_at(_row(False, 0.9, False, best_text=""), 0.05)  # the engine found nothing to cite


def test_sweep_and_pick_follow_the_rule_fixed_in_advance():
    rows = [_row(True, 0.4, True), _row(True, 0.9, False), _row(False, 0.3, False)]
    table = {t["threshold"]: t for t in dev.sweep(rows)}
    assert table[0.35]["em"] == 2 / 3 and table[0.35]["kept"] == 1.0 and table[0.35]["declined"] == 1.0
    assert table[0.05]["em"] == 1 / 3 and table[0.95]["em"] == 1 / 3
    pick = dev.best_threshold(list(table.values()))
    assert pick["threshold"] == 0.4  # 0.35 and 0.40 tie at 2/3: the higher one wins


def test_dev_question_files_load_and_cite_the_shared_corpora():
    for path in DEV_SETS:
        qset = load_questions(path)
        assert len(qset.questions) >= 20
        for q in qset.questions:
            assert q.source.split("#", 1)[0] in CORPUS_FILES
            assert bool(q.lines) == q.answerable
        assert any(not q.answerable for q in qset.questions) and any(q.history for q in qset.questions)


def test_every_dev_answer_stands_on_its_cited_lines():
    """A gold answer missing from its gold lines would make a right answer score as wrong.

    The lines are read by the project's own ingest, so they are numbered exactly as the
    engine cites them.
    """
    if not all(path.exists() for path in CORPUS_FILES.values()):
        pytest.skip("needs the shared news corpora (../shared/data)")
    lines = {
        article.source: {line.number: line.raw for line in article.lines}
        for path in CORPUS_FILES.values()
        for article in read_articles(path, path.parent)
    }
    checked = 0
    for path in DEV_SETS:
        for q in load_questions(path).questions:
            if not q.answerable:
                continue
            article = lines[q.source]
            # an answer may run on across a hard-wrapped line break (Reuters copy)
            cited = " ".join(article[n] for n in range(min(q.lines), max(q.lines) + 1) if n in article)
            for answer in q.answers:
                assert answer in cited, f"{q.id}: {answer!r} is not on lines {q.lines}"
                checked += 1
    assert checked > 200


def test_the_grid_walks_no_retired_threshold():
    assert [round(0.05 * i, 2) for i in range(1, 20)] == dev.GRID


def test_sampled_corpus_keeps_cited_articles_adds_seeded_distractors(tmp_path):
    source = tmp_path / "src" / "wire.jsonl"
    source.parent.mkdir()
    source.write_text("".join(json.dumps({"id": i, "title": f"T{i}", "text": f"Story {i}."}) + "\n" for i in range(30)))
    questions = [EvalQuestion(id="a", question="?", source="wire.jsonl#7", lines=(1,))]
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = dev.sample_corpus(questions, [source], tmp_path / "one", distractors=5, seed=13)
    again = dev.sample_corpus(questions, [source], tmp_path / "two", distractors=5, seed=13)
    ids = [json.loads(line)["id"] for line in first[0].read_text().splitlines()]
    assert first[0].name == "wire.jsonl" and ids[0] == 7 and len(set(ids)) == 6
    assert first[0].read_text() == again[0].read_text()  # seeded: the same corpus every run
    with pytest.raises(DatasetError, match="not in wire.jsonl"):
        dev.sample_corpus([EvalQuestion(id="b", question="?", source="other.jsonl#1")], [source], tmp_path, 1, 13)
