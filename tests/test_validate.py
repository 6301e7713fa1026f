"""Training-side validation: figures and the abstention threshold come from human-written questions."""

from __future__ import annotations

import json

import pytest

from qa.reader import Reader
from qa.squad import QAExample
from qa.train.validate import validate
from tests.conftest import SHARED

CONTEXT = "The harbour bridge reopened on Monday after six months of repairs costing 40 million euros."


def _example(id_: str, question: str, answer: str | None) -> QAExample:
    answers = ((answer, CONTEXT.index(answer)),) if answer else ()
    return QAExample(id_, question, CONTEXT, answers, is_impossible=answer is None)


def test_synthetic_questions_are_reported_apart_and_never_set_the_threshold(reader_dir):
    human = [
        _example("squad_v1_train/1", "When did the harbour bridge reopen?", "Monday"),
        _example("squad_v1_train/2", "How much did the repairs cost?", "40 million euros"),
        _example("squad_v2_unanswerable/3", "Who designed the harbour bridge?", None),
    ]
    synthetic = [
        _example("synthetic_news/bbc-1-0", "The harbour bridge reopened on what day?", "Monday"),
        _example("synthetic_news/bbc-1-0/neg", "Who chairs the city council?", None),
    ]
    reader = Reader(reader_dir)
    both = validate(reader, human + synthetic, progress=False)
    alone = validate(reader, human, progress=False)
    assert (both.answerable, both.unanswerable) == (2, 1)
    assert (both.synthetic["answerable"], both.synthetic["unanswerable"]) == (1, 1)
    assert (both.em, both.f1, both.threshold, both.curve) == (alone.em, alone.f1, alone.threshold, alone.curve)
    assert alone.synthetic["answerable"] == 0 and 0 < alone.threshold <= 1


def test_abstention_is_reported_per_kind_of_negative(reader_dir):
    examples = [
        _example("squad_v1_train/1", "When did the harbour bridge reopen?", "Monday"),
        _example("squad_v2_unanswerable/3", "Who designed the harbour bridge?", None),
        _example("squad_v1_train/4/neg", "When did the tunnel reopen?", None),
        _example("squad_v1_train/1/swap", "When did the Tyne bridge reopen?", None),
        _example("squad_v1_train/5/swap", "When did the Forth bridge reopen?", None),
    ]
    report = validate(Reader(reader_dir), examples, progress=False)
    counts = {kind: figures["count"] for kind, figures in report.abstained_by_kind.items()}
    assert counts == {"entity swap": 2, "paragraph swap": 1, "written unanswerable": 1}
    assert all(0 <= figures["abstained"] <= 1 for figures in report.abstained_by_kind.values())
    assert any("entity swap" in line for line in report.lines())


SHARED_DATA = SHARED / "data"


@pytest.mark.skipif(not (SHARED_DATA / "squad-v1.1-dev").exists(), reason="needs ../shared/data")
def test_validate_reader_scores_every_nth_example_of_a_configs_slice(tmp_path, capsys):
    """`qa validate-reader` reruns a model card's comparison: the same slice, every n-th question."""
    from qa.cli import main
    from qa.train.trainer import TrainConfig

    config = {"data_dir": str(SHARED_DATA), "sources": ["squad_v1_train"], "negative_fraction": 0.1, "seed": 13}
    (tmp_path / "config.json").write_text(json.dumps(config))
    _, val = TrainConfig.from_dict(config).training_set()
    sample = val[::10]
    out = tmp_path / "report.json"
    args = ["validate-reader", "fast", "--config", str(tmp_path / "config.json"), "--every", "10", "--json", str(out)]
    assert main(args) == 0
    report = json.loads(out.read_text())
    assert report["answerable"] == sum(not e.is_impossible for e in sample) > 0
    assert report["unanswerable"] == sum(e.is_impossible for e in sample) > 0
    assert 0 < report["f1"] <= 100 and "paragraph swap" in report["abstained_by_kind"]
    assert f"({report['answerable']} answerable" in capsys.readouterr().out


def test_validate_reader_refuses_bad_input_with_one_line(tmp_path, capsys):
    from qa.cli import main

    assert main(["validate-reader", "fast", "--config", str(tmp_path / "none.json")]) == 2
    assert main(["validate-reader", "fast", "--every", "0"]) == 2
    err = capsys.readouterr().err
    assert "none.json" in err and "--every" in err and "Traceback" not in err
