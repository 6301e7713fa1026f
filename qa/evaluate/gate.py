"""The regression gate: a run's metrics against recorded floors (`qa eval --gate`).

Floors live in a data file (`seed_gate.json`, for the seed question set): today's
measured figure minus a margin of one question (`qa eval --suggest-floors` prints them
for the current code): a regression gate, not a wish. The engine is deterministic, so
the margin only absorbs a single borderline answer flipping across machines. When a
change improves the figures, raise the floors in the same commit; never lower them to
turn a red build green without saying why in the commit message.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.evaluate.datasets import DatasetError

SEED_FLOORS = Path(__file__).resolve().parent / "seed_gate.json"


@dataclass(frozen=True)
class Floors:
    """Minimum values per metric (None: measured, not yet enforced) for one question set."""

    dataset: str  # file name of the question set the floors were measured on
    floors: dict[str, float | None]
    note: str = ""

    @classmethod
    def load(cls, path: Path) -> Floors:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            floors = {str(k): (None if v is None else float(v)) for k, v in data["floors"].items()}
            return cls(dataset=str(data["dataset"]), floors=floors, note=str(data.get("note", "")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            raise DatasetError(f"cannot read gate floors from {path}: {err}") from err


def check(metrics: dict[str, dict[str, Any]], floors: dict[str, float | None]) -> list[str]:
    """Human-readable failures (empty when the run passes the gate)."""
    failures = []
    for name, floor in floors.items():
        if floor is None:
            continue
        value = metrics.get(name, {}).get("value")
        if value is None or value < floor:
            failures.append(f"{name} = {value} is below its floor {floor}")
    errors = metrics.get("errors", {}).get("value") or 0
    if errors:
        failures.append(f"{int(errors)} question(s) raised errors")
    return failures


def suggest(metrics: dict[str, dict[str, Any]], names: list[str]) -> dict[str, float | None]:
    """Floors for the measured figures: one question's worth below, rounded down."""
    out: dict[str, float | None] = {}
    for name in names:
        m = metrics.get(name, {})
        if m.get("value") is None or not m.get("n"):
            out[name] = None
            continue
        out[name] = math.floor((m["value"] - 1 / m["n"]) * 1000 + 1e-9) / 1000
    return out


def verdict(metrics: dict[str, dict[str, Any]], floors: Floors) -> tuple[bool, list[str]]:
    """(passed, the lines to print) for a run's metrics."""
    lines = []
    pending = [name for name, floor in floors.floors.items() if floor is None]
    if pending:
        lines.append(f"eval gate: no floor recorded yet for {', '.join(pending)} (not enforced)")
    failures = check(metrics, floors.floors)
    lines += [f"eval gate FAILED: {failure}" for failure in failures]
    if not failures:
        enforced = ", ".join(f"{k} >= {v}" for k, v in floors.floors.items() if v is not None)
        lines.append(f"eval gate passed: {enforced}, no errors")
    return not failures, lines
