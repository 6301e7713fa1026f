"""The evaluator end to end, with fake engines: datasets, scoring, summary, reports, compare, CLI.

The engine (retrieval + reader) is replaced by tiny fakes that return hand-made
`qa.types.Answer`s, so each scoring rule is checked against a known right answer.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from qa.evaluate import command, compare, gate, report, runner, summary
from qa.evaluate.datasets import (
    Context,
    DatasetError,
    EvalQuestion,
    load_questions,
    load_squad_questions,
    parse_articles,
    write_squad_corpus,
)
from qa.evaluate.scoring import score_answer, score_span, source_matches
from qa.types import Answer, Chunk, Citation, Hit, Piece

ROOT = Path(__file__).resolve().parents[1]
SEED_SET = ROOT / "tests" / "data" / "seed_questions.jsonl"
SEED_ARTICLE = ROOT / "seeds" / "000_40ab86d132b0175c.txt"
SQUAD_DEV = ROOT.parent / "shared" / "data" / "squad-v1.1-dev" / "dev-v1.1.json"
SRC = "000_40ab86d132b0175c.txt"


# ------------------------------------------------------------------- fakes


def chunk(lines: list[int], source: str = SRC) -> Chunk:
    pieces = tuple(Piece(start=i * 10, length=5, line=n, col=0) for i, n in enumerate(lines))
    return Chunk(source=source, title="t", date=None, text="x" * 10 * len(lines), pieces=pieces)


def answer(
    text: str,
    score: float = 0.9,
    abstained: bool = False,
    cite: tuple[str, int, int] | None = (SRC, 4, 4),
    passages: list[Chunk] = (),
) -> Answer:
    citations = [Citation(source=cite[0], line=cite[1], end_line=cite[2], quote="q", start=0, end=1)] if cite else []
    return Answer(
        question="q",
        text=text,
        score=score,
        abstained=abstained,
        citations=citations,
        passages=[Hit(chunk=c, score=1.0, chunk_id=i) for i, c in enumerate(passages)],
        timings={"retrieve": 0.01, "read": 0.02, "total": 0.03},
    )


Q_VOTE = EvalQuestion(id="v", question="What was the vote?", answers=("141 to 5",), source=SRC, lines=(4,))
Q_NONE = EvalQuestion(id="u", question="Who voted no?", answerable=False)


class FakeAssistant:
    """Answers from a dict keyed by question; records the history it was given."""

    def __init__(self, answers: dict[str, Answer]) -> None:
        self.answers = answers
        self.seen: list[tuple[str, list[str] | None, int | None, float | None]] = []

    def answer(
        self, question: str, history: list[str] | None = None, top_k: int | None = None, threshold: float | None = None
    ) -> Answer:
        self.seen.append((question, history, top_k, threshold))
        if question not in self.answers:
            raise RuntimeError("boom")
        return self.answers[question]


class Span:
    def __init__(self, text: str, score: float, passage: int = 0, start: int = 0) -> None:
        self.text, self.score, self.passage, self.start, self.end = text, score, passage, start, start + len(text)


class FakeReader:
    def __init__(self, spans: dict[str, list[Span]]) -> None:
        self.spans = spans

    def read(self, question: str, contexts: list[str]) -> list[Span]:
        return self.spans[question]


# ----------------------------------------------------------------- datasets


def test_seed_set_is_well_formed_and_grounded_in_the_article() -> None:
    questions = load_questions(SEED_SET).questions
    lines = SEED_ARTICLE.read_text(encoding="utf-8").split("\n")
    assert len(questions) >= 40
    assert sum(not q.answerable for q in questions) >= 6
    assert sum(q.is_followup for q in questions) >= 6
    for q in questions:
        assert q.source == SRC
        if q.answerable:
            assert q.lines, q.id
            for a in q.answers:  # every reference is an exact span of a gold line
                assert any(a in lines[n - 1] for n in q.lines), (q.id, a)


def _write(tmp_path: Path, records: list[object]) -> Path:
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def test_jsonl_defaults_and_fields(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            {"id": 1, "question": " Who? ", "answers": ["Kyiv"], "lines": [9, 9, 3], "history": ["Where?"]},
            {"id": "n", "question": "Why?", "answers": [], "answerable": False},
        ],
    )
    q1, q2 = load_questions(path).questions
    assert (q1.id, q1.question, q1.lines, q1.answerable, q1.is_followup) == ("1", "Who?", (3, 9), True, True)
    assert q1.source is None
    assert not q2.answerable and q2.answers == ()


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"id": "a", "question": "Q", "answers": []}, "at least one non-empty answer"),
        ({"id": "a", "question": "Q", "answers": ["x"], "answerable": False}, "cannot have answers"),
        ({"id": "a", "question": "Q", "answers": ["x"], "lines": [0]}, "1-based"),
        ({"id": "a", "answers": ["x"]}, "question"),
        ({"id": "a", "question": "Q", "answers": "x"}, "list of strings"),
    ],
)
def test_jsonl_errors_name_file_and_line(tmp_path: Path, record: dict, message: str) -> None:
    path = _write(tmp_path, [{"id": "ok", "question": "Q", "answers": ["x"]}, record])
    with pytest.raises(DatasetError, match=rf"q\.jsonl, line 2: .*{message}"):
        load_questions(path)


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, [{"id": "a", "question": "Q", "answers": ["x"]}] * 2)
    with pytest.raises(DatasetError, match="duplicate id"):
        load_questions(path)


def test_parse_articles() -> None:
    assert parse_articles("32-47") == range(32, 48)
    assert parse_articles("5") == range(5, 6)
    with pytest.raises(ValueError):
        parse_articles("47-32")
    with pytest.raises(ValueError):
        parse_articles("a-b")


def _tiny_squad(tmp_path: Path) -> Path:
    ctx0 = "Kyiv is the capital.\nKharkiv is second."
    data = {
        "version": "2.0",
        "data": [
            {
                "title": "Skip_me",
                "paragraphs": [
                    {
                        "context": "Nope.",
                        "qas": [{"id": "s0", "question": "x?", "answers": [{"text": "Nope", "answer_start": 0}]}],
                    }
                ],
            },
            {
                "title": "Ukraine_cities",
                "paragraphs": [
                    {
                        "context": ctx0,
                        "qas": [
                            {
                                "id": "a1",
                                "question": "Second city?",
                                "answers": [
                                    {"text": "Kharkiv", "answer_start": ctx0.index("Kharkiv")},
                                    {"text": "Kharkiv", "answer_start": ctx0.index("Kharkiv")},
                                ],
                            },
                            {"id": "a2", "question": "Capital?", "answers": [{"text": "Kyiv", "answer_start": 0}]},
                            {"id": "a3", "question": "Largest port?", "answers": [], "is_impossible": True},
                        ],
                    },
                    {
                        "context": "Odesa is a port.",
                        "qas": [{"id": "b1", "question": "Port?", "answers": [{"text": "Odesa", "answer_start": 0}]}],
                    },
                ],
            },
        ],
    }
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_squad_questions_paragraph_ids_gold_lines_and_corpus(tmp_path: Path) -> None:
    qset = load_squad_questions(_tiny_squad(tmp_path), articles=range(1, 2))
    ids = [q.id for q in qset.questions]
    assert ids == ["a1", "a2", "a3", "b1"]
    a1, a2, a3, b1 = qset.questions
    assert (a1.source, a1.lines) == ("squad.jsonl#1-0", (2,))  # answer on the paragraph's 2nd line
    assert (a2.lines, b1.source, b1.lines) == ((1,), "squad.jsonl#1-1", (1,))
    assert not a3.answerable and a3.lines == ()
    assert [p.id for p in qset.paragraphs] == ["1-0", "1-1"]
    assert qset.paragraphs[0].title == "Ukraine cities"
    corpus = write_squad_corpus(qset.paragraphs, tmp_path / "corpus")
    records = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    assert records[1] == {"id": "1-1", "title": "Ukraine cities", "text": "Odesa is a port."}
    assert load_questions(_tiny_squad(tmp_path), articles=range(1, 2), limit=2).questions[-1].id == "a2"


def test_context_maps_offsets_to_lines() -> None:
    ctx = Context(text="ab\ncd\nef", lines=(3, 4, 7))
    assert [ctx.line_at(i) for i in (0, 2, 3, 6, 7)] == [3, 3, 4, 7, 7]


@pytest.mark.skipif(not SQUAD_DEV.exists(), reason="../shared/data not available")
def test_squad_benchmark_split_has_the_documented_size() -> None:
    qset = load_questions(SQUAD_DEV, articles=parse_articles("32-47"))
    assert len(qset.questions) == 3335
    assert all(q.answerable and q.answers and q.lines for q in qset.questions)


# ------------------------------------------------------------------ scoring


def test_source_matching() -> None:
    assert source_matches("a.txt", None)
    assert source_matches("news/a.txt", "a.txt")
    assert not source_matches("ba.txt", "a.txt")
    assert not source_matches("f.jsonl#12", "f.jsonl#1")


def test_correct_answer_with_gold_citation_and_second_ranked_chunk() -> None:
    row = score_answer(Q_VOTE, answer("141 to 5", passages=[chunk([1, 2, 3]), chunk([4, 5])]))
    assert (row.em, row.f1, row.citation_correct, row.gold_rank, row.retrieved) == (1.0, 1.0, True, 2, 2)
    assert row.cited_lines == [4, 4] and row.timings["total"] == 0.03


def test_gold_line_in_a_chunk_of_another_source_is_not_a_retrieval_hit() -> None:
    row = score_answer(Q_VOTE, answer("141", passages=[chunk([4], source="other.txt")]))
    assert row.gold_rank is None
    assert row.em == 0.0 and row.f1 == pytest.approx(0.5)


def test_story_rank_is_the_first_passage_from_the_gold_article_whatever_its_lines() -> None:
    row = score_answer(Q_VOTE, answer("141", passages=[chunk([4], source="other.txt"), chunk([9, 10])]))
    assert (row.story_rank, row.gold_rank) == (2, None)  # the right article, not the right line
    assert score_answer(Q_VOTE, answer("141", passages=[chunk([4], source="other.txt")])).story_rank is None


def test_citation_of_wrong_line_or_source_is_wrong() -> None:
    assert score_answer(Q_VOTE, answer("141 to 5", cite=(SRC, 5, 6))).citation_correct is False
    assert score_answer(Q_VOTE, answer("141 to 5", cite=("x.txt", 4, 4))).citation_correct is False
    assert score_answer(Q_VOTE, answer("141 to 5", cite=None)).citation_correct is False


def test_abstaining_scores_zero_on_answerable_and_one_on_unanswerable() -> None:
    declined = answer("141 to 5", score=0.2, abstained=True)
    on_answerable = score_answer(Q_VOTE, declined)
    assert (on_answerable.predicted, on_answerable.em, on_answerable.citation_correct) == ("", 0.0, None)
    on_unanswerable = score_answer(Q_NONE, declined)
    assert (on_unanswerable.em, on_unanswerable.f1) == (1.0, 1.0)
    answered = score_answer(Q_NONE, answer("Belarus"))
    assert (answered.em, answered.best_correct, answered.citation_correct) == (0.0, False, None)


def test_floor_reapplies_the_threshold_but_keeps_the_withheld_span() -> None:
    low = answer("141 to 5", score=0.3)
    row = score_answer(Q_VOTE, low, floor=0.5)
    assert (row.abstained, row.predicted, row.best_text, row.best_correct) == (True, "", "141 to 5", True)
    assert (row.em, row.citation_correct, row.cited_lines) == (0.0, None, [4, 4])
    assert score_answer(Q_VOTE, low, floor=0.2).em == 1.0
    # declined by the engine itself (nothing citable): its text is a message, not a span
    declined = score_answer(Q_VOTE, answer("I couldn't find that.", score=0.0, abstained=True, cite=None), floor=0.0)
    assert (declined.abstained, declined.best_text) == (True, "")


def test_reader_span_threshold_and_cited_line() -> None:
    q = EvalQuestion(
        id="r",
        question="Q",
        answers=("Kharkiv",),
        source="s",
        lines=(2,),
        contexts=(Context(text="Kyiv.\nKharkiv.", lines=(1, 2), source="s"),),
    )
    kept = score_span(q, Span("Kharkiv", 0.4, start=6), threshold=None, seconds=0.5)
    assert (kept.em, kept.abstained, kept.cited_lines, kept.citation_correct) == (1.0, False, [2, 2], True)
    assert kept.cited_quote == "Kharkiv." and kept.cited_span == [0, 7] and kept.timings == {"read": 0.5, "total": 0.5}
    dropped = score_span(q, Span("Kharkiv", 0.4, start=6), threshold=0.5, seconds=0.5)
    assert (dropped.abstained, dropped.predicted, dropped.em, dropped.best_correct) == (True, "", 0.0, True)
    assert score_span(q, None, threshold=None, seconds=0.1).abstained
    one_line = EvalQuestion(
        id="o",
        question="Q",
        answers=("Kyiv",),
        source="s",
        lines=(1,),
        contexts=(Context(text="Kyiv.", lines=(1,), source="s"),),
    )
    assert score_span(one_line, Span("Kyiv", 0.9), threshold=None, seconds=0.1).citation_correct is None


# -------------------------------------------------------------- runs + summary


def _fake_run() -> runner.EvalRun:
    questions = [
        Q_VOTE,
        EvalQuestion(
            id="f",
            question="How many abstained?",
            answers=("34",),
            history=("What was the vote?",),
            source=SRC,
            lines=(4,),
        ),
        Q_NONE,
        EvalQuestion(id="x", question="crash", answers=("y",), source=SRC, lines=(9,)),
    ]
    bot = FakeAssistant(
        {
            Q_VOTE.question: answer("141 to 5", score=0.9, passages=[chunk([4])]),
            "How many abstained?": answer("34 abstentions and more", score=0.6, passages=[chunk([1]), chunk([3, 4])]),
            Q_NONE.question: answer("Belarus", score=0.3, abstained=True, cite=None, passages=[chunk([5])]),
        }
    )
    rows = runner.run_system(questions, bot, top_k=2, threshold=0.5)
    # asked at threshold 0 (the runner applies 0.5 itself), with the follow-up's history
    assert bot.seen[1] == ("How many abstained?", ["What was the vote?"], 2, 0.0)
    assert bot.seen[0][1] is None  # no history -> None, as the Assistant expects
    return runner.EvalRun(rows=rows, meta={"dataset": "fake", "mode": "system", "questions": 4}, k=2)


def test_summary_hand_worked() -> None:
    run = _fake_run()
    assert run.rows[3].error == "RuntimeError: boom" and run.rows[3].em == 0.0
    s = summary.summarize(run.rows, k=2)
    value = {name: m["value"] for name, m in s.items()}
    # EM over all 4: vote 1, follow-up 0, unanswerable abstained 1, error 0 -> 0.5
    assert value["em"] == 0.5 and s["em"]["n"] == 4
    # follow-up F1: pred [34, abstentions, and, more] vs [34]: P 1/4, R 1 -> 0.4
    assert value["followup_f1"] == pytest.approx(0.4) and value["followup_em"] == 0.0
    assert value["f1"] == pytest.approx((1 + 0.4 + 1 + 0) / 4)
    # retrieval over the 3 answerable with gold lines: ranks 1, 2, none (error)
    assert value["recall_at_1"] == pytest.approx(1 / 3) and value["recall_at_2"] == pytest.approx(2 / 3)
    assert value["mrr"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert value["citation_accuracy"] == 1.0 and s["citation_accuracy"]["n"] == 2
    assert (value["abstain_precision"], value["abstain_recall"]) == (1.0, 1.0)
    assert value["errors"] == 1.0
    assert value["latency_total_p50_ms"] == pytest.approx(30.0)
    assert [r.id for r in summary.worst_misses(run.rows, 2)] == ["x", "f"]


# ---------------------------------------------------------------- report files


def test_report_dir_has_json_markdown_and_pngs(tmp_path: Path) -> None:
    run = _fake_run()
    full = report.build(run)
    written = report.write_report_dir(full, run.rows, tmp_path / "out")
    names = sorted(p.name for p in written)
    assert names == ["calibration.png", "latency.png", "metrics.png", "report.json", "report.md"]
    for png in (tmp_path / "out").glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    saved = report.load(tmp_path / "out" / "report.json")
    assert len(saved["rows"]) == 4 and saved["metrics"]["em"]["value"] == 0.5
    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "| EM | 0.500 | 4 |" in md and "![metrics](metrics.png)" in md
    assert "What was the vote? / How many abstained?" in md  # follow-up shown with its history
    assert "000_40ab86d132b0175c.txt:4 “**q**”" in md  # the cited line of a miss, answer in bold


def test_table_is_aligned() -> None:
    text = report.format_table(summary.summarize(_fake_run().rows, k=2))
    lines = text.splitlines()
    assert lines[0].startswith("metric") and "retrieval recall@2" in text
    assert len({len(line) for line in lines[2:]}) == 1  # all rows equally wide


# -------------------------------------------------------------------- compare


def _row(id_: str, em: float, pred: str) -> dict:
    return {"id": id_, "question": id_ + "?", "answers": ["a"], "predicted": pred, "em": em}


def test_compare_reports_deltas_and_flips() -> None:
    a = {
        "metrics": {"em": {"value": 0.5, "n": 2}, "latency_total_p50_ms": {"value": 100.0, "n": 2}},
        "rows": [_row("1", 1.0, "a"), _row("2", 0.0, "b"), _row("3", 0.0, "c")],
    }
    b = {
        "metrics": {"em": {"value": 0.4, "n": 2}, "latency_total_p50_ms": {"value": 80.0, "n": 2}},
        "rows": [_row("1", 0.0, "z"), _row("2", 1.0, "a"), _row("4", 1.0, "a")],
    }
    result = compare.compare(a, b)
    verdicts = {d["metric"]: (round(d["delta"], 6), d["verdict"]) for d in result["metrics"]}
    assert verdicts == {"em": (-0.1, "worse"), "latency_total_p50_ms": (-20.0, "better")}
    q = result["questions"]
    assert [f["id"] for f in q["fixed"]] == ["2"] and [f["id"] for f in q["broken"]] == ["1"]
    assert (q["common"], q["only_a"], q["only_b"]) == (2, 1, 1)
    text = compare.format_comparison(result)
    assert "1 fixed, 1 broken" in text and "'a' -> 'z'" in text


# ------------------------------------------------------------------------ CLI


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="qa")
    command.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_cli_eval_prints_table_and_writes_report(tmp_path: Path, monkeypatch, capsys) -> None:
    seen = {}

    def fake_evaluate(qset, options):
        seen["options"] = options
        run = _fake_run()
        run.rows = [r for r in run.rows if r.error is None]
        return run

    monkeypatch.setattr(runner, "evaluate", fake_evaluate)
    args = _parse(
        ["eval", str(SEED_SET), "--top-k", "2", "--limit", "3", "--report", str(tmp_path / "r"), "--no-progress"]
    )
    assert args.func is command.run
    assert args.func(args) == 0
    assert seen["options"].mode == "system" and seen["options"].top_k == 2
    out = capsys.readouterr().out
    assert "EM (answerable)" in out and (tmp_path / "r" / "report.md").exists()
    assert "worst misses" in out and "gold: 34   predicted: 34 abstentions and more" in out

    args = _parse(["eval", str(SEED_SET), "--json", "--no-progress"])
    assert args.func(args) == 0
    printed = json.loads(capsys.readouterr().out)
    assert "rows" not in printed and printed["metrics"]["em"]["n"] == 3

    args = _parse(["eval", "--compare", str(tmp_path / "r" / "report.json"), str(tmp_path / "r" / "report.json")])
    assert args.func(args) == 0
    assert "0 fixed, 0 broken" in capsys.readouterr().out


def test_cli_errors_are_exit_codes_not_tracebacks(tmp_path: Path, capsys) -> None:
    assert command.run(_parse(["eval", str(tmp_path / "missing.jsonl")])) == 2
    assert command.run(_parse(["eval", str(SEED_SET), "--articles", "1-2"])) == 2
    assert command.run(_parse(["eval"])) == 2
    assert "does not exist" in capsys.readouterr().err


def test_cli_exit_code_1_when_questions_fail(monkeypatch, capsys) -> None:
    monkeypatch.setattr(runner, "evaluate", lambda qset, options: _fake_run())
    assert command.run(_parse(["eval", str(SEED_SET), "--no-progress"])) == 1
    assert "1 question(s) raised errors" in capsys.readouterr().err


# ------------------------------------------- real index, oracle reader (plumbing)


class OracleReader:
    """Returns the first reference answer wherever it occurs in the passages (score 0.9)."""

    def __init__(self, questions: list[EvalQuestion]) -> None:
        self.questions = questions

    def read(
        self,
        question: str,
        passages: list[str],
        top_n: int = 5,
        contexts: list[str] | None = None,
        per_passage: bool = False,
    ) -> list:
        from qa.reader import Span as ReaderSpan

        for q in self.questions:
            if question.startswith(q.question) and q.answers:
                for i, text in enumerate(passages):
                    at = text.find(q.answers[0])
                    if at >= 0:
                        return [ReaderSpan(i, at, at + len(q.answers[0]), q.answers[0], 0.9, 0.05)]
        return []


def test_system_run_over_the_real_seed_index(seed_index) -> None:
    from qa.assistant import Assistant

    wanted = {"seed-02", "seed-12", "seed-f1", "seed-u2"}
    questions = [q for q in load_questions(SEED_SET).questions if q.id in wanted]
    bot = Assistant(seed_index, seed_index.settings, reader=OracleReader(questions))
    rows = {r.id: r for r in runner.run_system(questions, bot, top_k=3, threshold=0.5)}
    vote = rows["seed-02"]
    assert vote.error is None and vote.em == 1.0
    assert (vote.cited_source, vote.cited_lines, vote.citation_correct) == (SRC, [4, 4], True)
    assert vote.gold_rank is not None and vote.retrieved == 3
    assert set(vote.timings) >= {"retrieve", "read", "total"}
    assert rows["seed-f1"].em == 1.0  # "How many abstained?" after the vote question
    unanswerable = rows["seed-u2"]
    assert (unanswerable.abstained, unanswerable.em) == (True, 1.0)


# ------------------------------------------------------------------ CI gate


def test_gate_fails_below_a_floor_and_on_errors() -> None:
    metrics = {"em": {"value": 0.60, "n": 50}, "mrr": {"value": None, "n": 0}, "errors": {"value": 0.0, "n": 50}}
    assert gate.check(metrics, {"em": 0.58, "citation_accuracy": None}) == []
    assert gate.check(metrics, {"em": 0.62}) == ["em = 0.6 is below its floor 0.62"]
    assert gate.check(metrics, {"mrr": 0.5}) == ["mrr = None is below its floor 0.5"]  # missing is a failure
    metrics["errors"]["value"] = 2.0
    assert gate.check(metrics, {}) == ["2 question(s) raised errors"]


def test_gate_suggests_one_question_below_the_measurement() -> None:
    # 0.62 over 50 questions: one question is 0.02 -> 0.60 (rounded down to 3 places)
    # 0.7 over 30: 0.7 - 1/30 = 0.6667 -> 0.666
    suggested = gate.suggest({"em": {"value": 0.62, "n": 50}, "mrr": {"value": 0.7, "n": 30}}, ["em", "mrr", "x"])
    assert suggested == {"em": 0.6, "mrr": 0.666, "x": None}


def test_the_seed_floors_file_is_for_the_seed_set() -> None:
    floors = gate.Floors.load(gate.SEED_FLOORS)
    assert floors.dataset == SEED_SET.name and load_questions(SEED_SET).name == floors.dataset
    assert set(floors.floors) == {"em", "citation_accuracy", "recall_at_5", "mrr"}
    assert all(0 < value < 1 for value in floors.floors.values() if value is not None)


def test_cli_gate_exits_1_below_a_floor_and_2_for_another_set(tmp_path: Path, monkeypatch, capsys) -> None:
    run = _fake_run()
    run.rows = [r for r in run.rows if r.error is None]
    monkeypatch.setattr(runner, "evaluate", lambda qset, options: run)
    floors = tmp_path / "floors.json"
    floors.write_text(json.dumps({"dataset": SEED_SET.name, "floors": {"em": 0.99, "mrr": None}}))
    assert command.run(_parse(["eval", str(SEED_SET), "--gate", "--floors", str(floors), "--no-progress"])) == 1
    out = capsys.readouterr().out
    assert "eval gate FAILED: em = " in out and "no floor recorded yet for mrr" in out
    floors.write_text(json.dumps({"dataset": SEED_SET.name, "floors": {"em": 0.01}}))
    assert command.run(_parse(["eval", str(SEED_SET), "--gate", "--floors", str(floors), "--no-progress"])) == 0
    assert "eval gate passed: em >= 0.01, no errors" in capsys.readouterr().out
    floors.write_text(json.dumps({"dataset": "other.jsonl", "floors": {"em": 0.01}}))
    assert command.run(_parse(["eval", str(SEED_SET), "--gate", "--floors", str(floors)])) == 2
    assert "are for other.jsonl" in capsys.readouterr().err


def test_cli_sweep_prints_the_table_and_writes_rows(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(runner, "evaluate", lambda qset, options: _fake_run())
    out_json = tmp_path / "dev.json"
    assert (
        command.run(_parse(["eval", str(SEED_SET), "--sweep-json", str(out_json), "--no-progress"])) == 1
    )  # an error row
    printed = capsys.readouterr().out
    assert "best threshold by dev EM" in printed and "0.95" in printed
    record = json.loads(out_json.read_text())
    assert set(record) == {"sweep", "pick", "rows"} and len(record["rows"]) == len(_fake_run().rows)


def test_several_jsonl_datasets_are_one_question_set(tmp_path: Path, monkeypatch) -> None:
    seen = {}
    monkeypatch.setattr(runner, "evaluate", lambda qset, options: seen.setdefault("qset", qset) and _fake_run())
    other = tmp_path / "more_questions.jsonl"
    other.write_text(
        json.dumps({"id": "extra-1", "question": "Who?", "answers": ["x"], "source": SRC, "lines": [4]}) + "\n"
    )
    command.run(_parse(["eval", str(SEED_SET), str(other), "--no-progress"]))
    qset = seen["qset"]
    assert qset.name == "seed_questions+more_questions" and qset.questions[-1].id == "extra-1"
    assert len(qset.questions) == len(load_questions(SEED_SET).questions) + 1
    assert command.run(_parse(["eval", str(SEED_SET), str(SEED_SET)])) == 2  # the same ids twice
