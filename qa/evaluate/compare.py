"""Two saved runs side by side: which metrics moved, and which questions flipped.

Metric deltas alone hide churn (five questions fixed and five broken nets to zero), so
the comparison also lists, by question id, every answer that went from right to wrong
or back (by exact match), which is what a reviewer of a change needs to look at.
"""

from __future__ import annotations

from typing import Any

from qa.evaluate.summary import format_value, label, lower_is_better

# A change smaller than this is shown as "same": noise, not a finding.
_EPSILON = 1e-9


def compare(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Metric deltas (b - a) and per-question flips between reports `a` and `b`."""
    deltas = []
    for name in list(dict.fromkeys([*a["metrics"], *b["metrics"]])):
        va = a["metrics"].get(name, {}).get("value")
        vb = b["metrics"].get(name, {}).get("value")
        delta = None if va is None or vb is None else vb - va
        verdict = "n/a" if delta is None else "same"
        if delta is not None and abs(delta) > _EPSILON:
            verdict = "better" if (delta < 0) == lower_is_better(name) else "worse"
        deltas.append({"metric": name, "a": va, "b": vb, "delta": delta, "verdict": verdict})
    rows_a = {r["id"]: r for r in a.get("rows", [])}
    rows_b = {r["id"]: r for r in b.get("rows", [])}
    common = [i for i in rows_a if i in rows_b]
    fixed = [_flip(rows_a[i], rows_b[i]) for i in common if rows_a[i]["em"] < 1 <= rows_b[i]["em"]]
    broken = [_flip(rows_a[i], rows_b[i]) for i in common if rows_b[i]["em"] < 1 <= rows_a[i]["em"]]
    return {
        "a": a.get("meta", {}),
        "b": b.get("meta", {}),
        "metrics": deltas,
        "questions": {
            "common": len(common),
            "only_a": len(rows_a) - len(common),
            "only_b": len(rows_b) - len(common),
            "fixed": fixed,
            "broken": broken,
        },
    }


def _flip(ra: dict[str, Any], rb: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": ra["id"],
        "question": ra["question"],
        "gold": ra["answers"],
        "a": ra["predicted"],
        "b": rb["predicted"],
    }


def format_comparison(result: dict[str, Any], names: tuple[str, str] = ("A", "B"), limit: int = 20) -> str:
    """Plain-text rendering: aligned metric table, then fixed and broken questions."""
    header = ("metric", names[0], names[1], "change", "")
    table = [
        (
            label(d["metric"]),
            format_value(d["metric"], d["a"]),
            format_value(d["metric"], d["b"]),
            "-" if d["delta"] is None else f"{d['delta']:+.3f}",
            d["verdict"],
        )
        for d in result["metrics"]
    ]
    width = [max(len(r[i]) for r in [header, *table]) for i in range(5)]
    lines = [
        "  ".join(
            f"{cell:<{width[0]}}" if i == 0 else f"{cell:>{width[i]}}" if i < 4 else cell for i, cell in enumerate(row)
        ).rstrip()
        for row in [header, *table]
    ]
    lines.insert(1, "-" * (sum(width) + 8))
    q = result["questions"]
    lines += [
        "",
        f"questions: {q['common']} in both ({q['only_a']} only in {names[0]}, {q['only_b']} only in {names[1]}); "
        f"{len(q['fixed'])} fixed, {len(q['broken'])} broken (by exact match)",
    ]
    for title, items in (("fixed", q["fixed"]), ("broken", q["broken"])):
        if items:
            lines.append(f"{title}:")
            for item in items[:limit]:
                lines.append(f"  {item['id']}: {item['question']}")
                lines.append(f"      gold {item['gold']!r}: {item['a'] or '(none)'!r} -> {item['b'] or '(none)'!r}")
            if len(items) > limit:
                lines.append(f"  ... and {len(items) - limit} more")
    return "\n".join(lines)
