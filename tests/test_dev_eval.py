"""The development-set threshold sweep (scripts/dev_eval.py): scoring rules, no model needed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from qa.evaluate.datasets import load_questions
from qa.evaluate.scoring import Row
from qa.ingest import read_articles

ROOT = Path(__file__).resolve().parents[1]


def _dev_eval():
    spec = importlib.util.spec_from_file_location("dev_eval", ROOT / "scripts" / "dev_eval.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(answerable: bool, score: float, correct: bool, best_text: str = "x") -> Row:
    return Row(
        id="q", question="?", history=[], answers=["x"] if answerable else [], answerable=answerable,
        gold_source=None, gold_lines=[], predicted=best_text, best_text=best_text, score=score,
        abstained=False, em=float(correct), f1=float(correct), best_correct=correct,
        citation_correct=correct if answerable else None,
    )


def test_a_row_is_right_when_answered_correctly_or_declined_when_unanswerable():
    dev = _dev_eval()
    right, wrong, unanswerable = _row(True, 0.4, True), _row(True, 0.9, False), _row(False, 0.3, False)
    assert dev.right_at(right, 0.3) and not dev.right_at(right, 0.5)  # declined: no longer right
    assert not dev.right_at(wrong, 0.1)
    assert not dev.right_at(unanswerable, 0.2) and dev.right_at(unanswerable, 0.35)
    assert dev.right_at(_row(False, 0.9, False, best_text=""), 0.05)  # the engine found nothing to cite


def test_sweep_and_pick_follow_the_rule_fixed_in_advance():
    dev = _dev_eval()
    rows = [_row(True, 0.4, True), _row(True, 0.9, False), _row(False, 0.3, False)]
    table = {t["threshold"]: t for t in dev.sweep(rows)}
    assert table[0.35]["em"] == 2 / 3 and table[0.35]["kept"] == 1.0 and table[0.35]["declined"] == 1.0
    assert table[0.05]["em"] == 1 / 3 and table[0.95]["em"] == 1 / 3
    pick = dev.best_threshold(list(table.values()))
    assert pick["threshold"] == 0.4  # 0.35 and 0.40 tie at 2/3: the higher one wins


def test_dev_question_files_load_and_cite_the_shared_corpora():
    dev = _dev_eval()
    for path in dev.DEV_SETS:
        qset = load_questions(path)
        assert len(qset.questions) >= 20
        for q in qset.questions:
            assert q.source.split("#", 1)[0] in dev.CORPUS_FILES
            assert bool(q.lines) == q.answerable
        assert any(not q.answerable for q in qset.questions) and any(q.history for q in qset.questions)


def test_every_dev_answer_stands_on_its_cited_lines():
    """A gold answer missing from its gold lines would make a right answer score as wrong.

    The lines are read by the project's own ingest, so they are numbered exactly as the
    engine cites them.
    """
    dev = _dev_eval()
    if not all(path.exists() for path in dev.CORPUS_FILES.values()):
        pytest.skip("needs the shared news corpora (../shared/data)")
    lines = {
        article.source: {line.number: line.raw for line in article.lines}
        for path in dev.CORPUS_FILES.values()
        for article in read_articles(path, path.parent)
    }
    checked = 0
    for path in dev.DEV_SETS:
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
