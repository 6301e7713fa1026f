"""The bad-input table of issue #18: tests here record "input | surface | observed
behaviour" rows with the `bad_input` fixture; the table is printed at the end of the run
and written to out/reliability-table.md (git-ignored) so CI output shows it."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "out" / "reliability-table.md"
_ROWS: dict[tuple[str, str], str] = {}


@pytest.fixture()
def bad_input():
    """``bad_input(kind, surface, observed)`` adds one row to the table."""

    def record(kind: str, surface: str, observed: str) -> None:
        observed = " ".join(observed.split())
        _ROWS[(kind, surface)] = observed if len(observed) <= 200 else observed[:197] + "..."

    return record


def _table() -> list[str]:
    lines = ["| input | surface | observed behaviour |", "|---|---|---|"]
    for (kind, surface), observed in _ROWS.items():
        cells = [cell.replace("|", "\\|") for cell in (kind, surface, observed)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def pytest_terminal_summary(terminalreporter) -> None:
    if not _ROWS:
        return
    lines = _table()
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    TABLE.write_text(
        "# Bad input (issue #18), as observed by tests/reliability\n\n" + "\n".join(lines) + "\n", encoding="utf-8"
    )
    terminalreporter.section(f"bad input: {len(_ROWS)} kinds (also in {TABLE.relative_to(ROOT)})")
    for line in lines:
        terminalreporter.write_line(line)
