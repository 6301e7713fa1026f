"""A finished run -> the JSON file machines read, the table people read, and Markdown.

The JSON keeps every per-question row so two runs can be compared question by
question later (`qa eval --compare`); the table and Markdown keep only what a person
needs to judge the run: the metrics with their counts and the worst misses.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qa.evaluate import summary
from qa.evaluate.runner import EvalRun
from qa.evaluate.scoring import Row
from qa.evaluate.summary import format_value, label

REPORT_VERSION = 1


def build(run: EvalRun, worst: int = 10) -> dict[str, Any]:
    """The full machine-readable report of a run."""
    return {
        "version": REPORT_VERSION,
        "meta": run.meta,
        "metrics": summary.summarize(run.rows, run.k),
        "calibration": summary.calibration(run.rows),
        "calibration_calibrated": summary.calibration(run.rows, calibrated=True),
        "worst_misses": [r.id for r in summary.worst_misses(run.rows, worst)],
        "rows": [r.to_dict() for r in run.rows],
    }


def headline(report: dict[str, Any]) -> dict[str, Any]:
    """The report without per-question rows (what `--json` prints)."""
    return {k: v for k, v in report.items() if k != "rows"}


def load(path: Path) -> dict[str, Any]:
    """Read a report written by `write_json` (for --compare and the CI gate)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "metrics" not in data:
        raise ValueError(f"{path}: not a qa eval report (no 'metrics')")
    return data


def write_json(report: dict[str, Any], path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def format_table(metrics: dict[str, dict[str, Any]]) -> str:
    """Aligned plain-text table: metric, value, n (questions the value is over)."""
    rows = [(label(name), format_value(name, m["value"]), str(m["n"])) for name, m in metrics.items()]
    width = [max(len(r[i]) for r in rows + [("metric", "value", "n")]) for i in range(3)]
    lines = [f"{'metric':<{width[0]}}  {'value':>{width[1]}}  {'n':>{width[2]}}"]
    lines.append("-" * (sum(width) + 4))
    lines += [f"{a:<{width[0]}}  {b:>{width[1]}}  {c:>{width[2]}}" for a, b, c in rows]
    return "\n".join(lines)


def _predicted(row: Row) -> str:
    if row.error:
        return f"(error: {row.error})"
    if row.abstained:
        return f"(abstained; best span: {row.best_text})" if row.best_text else "(abstained)"
    return row.predicted or "(empty)"


def format_misses(rows: Sequence[Row], limit: int = 5) -> str:
    """The worst misses as short plain-text lines, for the terminal after the table."""
    misses = summary.worst_misses(rows, limit)
    if not misses:
        return "worst misses: none"
    out = [f"worst misses ({len(misses)} shown; all in report.md with --report):"]
    for r in misses:
        gold = " | ".join(r.answers) if r.answerable else "(unanswerable)"
        out.append(f"  {r.id}: {' / '.join([*r.history, r.question])}")
        out.append(f"      gold: {gold}   predicted: {_predicted(r)}   cited: {_cited(r)}")
    return "\n".join(out)


def _md_cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _excerpt(row: Row, width: int = 60) -> str:
    """The cited line around the answer, the answer in bold, trimmed to ~2*width chars."""
    quote = row.cited_quote or ""
    if row.cited_span is None:
        return quote if len(quote) <= 2 * width else quote[: 2 * width - 1].rstrip() + "…"
    start, end = row.cited_span
    left, right = max(0, start - width), min(len(quote), end + width)
    return (
        ("…" if left else "")
        + quote[left:start]
        + "**"
        + quote[start:end]
        + "**"
        + quote[end:right]
        + ("…" if right < len(quote) else "")
    )


def _cited(row: Row) -> str:
    if row.cited_lines is None:
        return "-"
    first, last = row.cited_lines
    lines = f"{first}" if first == last else f"{first}-{last}"
    return f"{row.cited_source}:{lines}"


def markdown(report: dict[str, Any], rows: Sequence[Row], charts: Sequence[str] = (), worst: int = 10) -> str:
    """Human summary: run settings, metric table, charts, and the worst misses."""
    meta = report["meta"]
    out = [f"# qa eval: {meta.get('dataset')} ({meta.get('mode')} mode)", ""]
    settings = ", ".join(
        f"{key} `{meta[key]}`"
        for key in (
            "questions",
            "format",
            "corpus",
            "reader",
            "precision",
            "retrieval",
            "top_k",
            "threshold",
            "commit",
            "finished_at",
        )
        if meta.get(key) is not None
    )
    out += [settings, "", "| metric | value | n |", "|---|---:|---:|"]
    for name, m in report["metrics"].items():
        out.append(f"| {label(name)} | {format_value(name, m['value'])} | {m['n']} |")
    out.append("")
    for chart in charts:
        out += [f"![{Path(chart).stem}]({Path(chart).name})", ""]
    misses = summary.worst_misses(rows, worst)
    out += [f"## Worst misses ({len(misses)})", ""]
    if misses:
        out += ["| id | question | gold | predicted | score | cited line | F1 |", "|---|---|---|---|---:|---|---:|"]
        for r in misses:
            question = " / ".join([*r.history, r.question]) if r.history else r.question
            gold = " · ".join(r.answers) if r.answerable else "(unanswerable)"
            predicted = _predicted(r)
            quote = f" “{_excerpt(r)}”" if r.cited_quote else ""
            out.append(
                f"| {_md_cell(r.id)} | {_md_cell(question)} | {_md_cell(gold)} | {_md_cell(predicted)} "
                f"| {r.score:.2f} | {_md_cell(_cited(r) + quote)} | {r.f1:.2f} |"
            )
    else:
        out.append("None: every answer matched a reference exactly.")
    return "\n".join(out) + "\n"


def write_report_dir(report: dict[str, Any], rows: Sequence[Row], directory: Path, worst: int = 10) -> list[Path]:
    """Write report.json, report.md and the PNG charts into `directory`."""
    from qa.evaluate import charts

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = [write_json(report, directory / "report.json")]
    pngs = charts.write_charts(report, rows, directory)
    md = directory / "report.md"
    md.write_text(markdown(report, rows, [p.name for p in pngs], worst), encoding="utf-8")
    return [*written, md, *pngs]
