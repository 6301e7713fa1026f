"""The abstention-threshold sweep, and the sampled news corpora it runs over.

System-level choices (the default threshold, how passages are presented to the reader)
are made on development questions, never on the seed test set. Each question is asked
once at threshold 0 (as `qa eval` always does); `sweep` then says, for every threshold,
what the system would score with it. Unanswerable questions count as right when the
system abstains on them. `qa eval --sweep` prints it; `scripts/dev_eval.py` runs it over
the project's news development sets.

`sample_corpus` builds such a run's corpus from JSONL article files: the articles the
questions cite plus seeded random distractors from the same files, written under the
files' own names so that sources such as ``reuters.jsonl#12345`` still match.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qa.evaluate.datasets import DatasetError, EvalQuestion
from qa.evaluate.metrics import abstention_curve
from qa.evaluate.scoring import Row

GRID = [round(0.05 * i, 2) for i in range(1, 20)]  # 0.05 ... 0.95


def _score(row: Row) -> float:
    """The row's answer score; a question with no citable span is never answered."""
    return row.score if row.best_text else -math.inf


def right_at(row: Row, threshold: float) -> bool:
    """Would the system be right on `row` with this threshold? (the row was asked at 0)"""
    answered = _score(row) >= threshold
    return (answered and row.best_correct) if row.answerable else not answered


def sweep(rows: Sequence[Row], grid: Sequence[float] = GRID) -> list[dict[str, Any]]:
    """EM, answerable kept, unanswerable declined and citation accuracy at each threshold."""
    answerable = [r for r in rows if r.answerable]
    curve = abstention_curve([_score(r) for r in answerable], [_score(r) for r in rows if not r.answerable], grid)
    table = []
    for t, kept, declined in curve:
        cited = [r for r in answerable if _score(r) >= t and r.citation_correct is not None]
        table.append(
            {
                "threshold": t,
                "em": sum(right_at(r, t) for r in rows) / len(rows),
                "em_answerable": sum(right_at(r, t) for r in answerable) / max(1, len(answerable)),
                "kept": kept or 0.0,
                "declined": 0.0 if declined is None else declined,
                "citation_accuracy": sum(bool(r.citation_correct) for r in cited) / len(cited) if cited else None,
            }
        )
    return table


def best_threshold(table: list[dict[str, Any]]) -> dict[str, Any]:
    """The rule fixed before the dev set was scored: highest EM, ties to the higher threshold."""
    return max(table, key=lambda row: (round(row["em"], 9), row["threshold"]))


def format_sweep(table: list[dict[str, Any]]) -> str:
    """The sweep as a terminal table, then the pick."""
    lines = [f"{'threshold':>9} {'EM':>6} {'EM ans':>7} {'kept':>6} {'declined':>9} {'citation':>9}"]
    for row in table:
        cit = "-" if row["citation_accuracy"] is None else f"{row['citation_accuracy']:.3f}"
        lines.append(
            f"{row['threshold']:>9.2f} {row['em']:>6.3f} {row['em_answerable']:>7.3f} {row['kept']:>6.3f}"
            f" {row['declined']:>9.3f} {cit:>9}"
        )
    pick = best_threshold(table)
    lines.append(f"best threshold by dev EM (ties -> higher): {pick['threshold']:.2f} (EM {pick['em']:.3f})")
    return "\n".join(lines)


def sweep_record(rows: Sequence[Row]) -> dict[str, Any]:
    """What `qa eval --sweep-json` writes: the sweep, the pick and every row (no timings)."""
    table = sweep(rows)
    return {
        "sweep": table,
        "pick": best_threshold(table),
        "rows": [{k: v for k, v in vars(r).items() if k != "timings"} for r in rows],
    }


def sample_corpus(
    questions: Sequence[EvalQuestion], files: Sequence[Path], directory: Path, distractors: int, seed: int
) -> list[Path]:
    """Write each cited JSONL file's cited articles plus `distractors` seeded random others
    into `directory`, under the file's own name; returns the files written."""
    by_name = {Path(f).name: Path(f) for f in files}
    wanted: dict[str, set[str]] = {}
    for q in questions:
        name, _, article = (q.source or "").partition("#")
        if name not in by_name:
            raise DatasetError(
                f"question {q.id}: source {q.source!r} is not in {', '.join(by_name) or 'no corpus file'}"
            )
        wanted.setdefault(name, set()).add(article)
    written = []
    for name, ids in sorted(wanted.items()):
        lines = by_name[name].read_text(encoding="utf-8").splitlines()
        records = [json.loads(line) for line in lines if line.strip()]
        others = [r for r in records if str(r["id"]) not in ids]
        if distractors > len(others):
            raise DatasetError(f"{name} has {len(others)} other articles, fewer than --distractors {distractors}")
        picked = [r for r in records if str(r["id"]) in ids] + random.Random(f"{seed}:{name}").sample(
            others, distractors
        )
        path = Path(directory) / name
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in picked), encoding="utf-8")
        written.append(path)
    return written
