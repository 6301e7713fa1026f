"""PNG charts for the report: metric bars, latency histogram, calibration curve.

Uses matplotlib's object API with the Agg canvas directly (no pyplot), so it never
needs a display and never changes the global backend of a process that imported it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from qa.evaluate import summary
from qa.evaluate.scoring import Row
from qa.evaluate.summary import label

_QUALITY = (
    "em",
    "f1",
    "has_ans_em",
    "has_ans_f1",
    "recall_at_1",
    "mrr",
    "citation_accuracy",
    "abstain_precision",
    "abstain_recall",
    "followup_em",
    "followup_f1",
)
_STAGE_COLORS = {"retrieve": "#4c72b0", "read": "#dd8452", "total": "#55a868"}


def _save(fig: Figure, path: Path) -> Path:
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path


def _title(report: dict[str, Any], what: str) -> str:
    meta = report.get("meta", {})
    return f"{what}: {meta.get('dataset', '')} ({meta.get('mode', '')} mode, {meta.get('questions', '?')} q)"


def metric_bars(report: dict[str, Any], path: Path) -> Path:
    """Horizontal bars of every 0-1 quality metric that applies, labelled with value and n."""
    metrics = report["metrics"]
    names = [n for n in metrics if (n in _QUALITY or n.startswith("recall_at_")) and metrics[n]["value"] is not None]
    names = sorted(set(names), key=lambda n: list(metrics).index(n))
    fig = Figure(figsize=(7.5, 0.45 * max(len(names), 2) + 1.2))
    ax = fig.add_subplot()
    values = [metrics[n]["value"] for n in names]
    y = list(range(len(names)))[::-1]
    ax.barh(y, values, color="#4c72b0")
    ax.set_yticks(y, [label(n) for n in names])
    for yi, n, v in zip(y, names, values):
        ax.text(min(v, 1.0) + 0.01, yi, f"{v:.3f}  (n={metrics[n]['n']})", va="center", fontsize=8)
    ax.set_xlim(0, 1.25)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(_title(report, "Quality"), fontsize=10)
    return _save(fig, path)


def latency_histogram(report: dict[str, Any], rows: Sequence[Row], path: Path) -> Path:
    """Per-question latency distribution of each stage, with p50/p95 marked."""
    fig = Figure(figsize=(7.5, 4.2))
    ax = fig.add_subplot()
    drew = False
    for stage in summary.STAGES:
        times = [r.timings[stage] * 1000 for r in rows if stage in r.timings and r.error is None]
        if not times:
            continue
        drew = True
        ax.hist(times, bins=30, alpha=0.5, color=_STAGE_COLORS[stage], label=stage)
        for pct, style in ((50, "-"), (95, "--")):
            value = report["metrics"].get(f"latency_{stage}_p{pct}_ms", {}).get("value")
            if value is not None:
                ax.axvline(value, color=_STAGE_COLORS[stage], linestyle=style, linewidth=1)
    if not drew:
        ax.text(0.5, 0.5, "no timings recorded", ha="center", va="center", transform=ax.transAxes)
    else:
        ax.legend(title="stage (solid p50, dashed p95)", fontsize=8, title_fontsize=8)
    ax.set_xlabel("milliseconds per question")
    ax.set_ylabel("questions")
    ax.set_title(_title(report, "Latency"), fontsize=10)
    return _save(fig, path)


def calibration_curve(report: dict[str, Any], path: Path) -> Path:
    """Reliability diagram: accuracy of the best span per confidence bin vs. the diagonal,
    for the reader's score and, where the run has one, the calibrated confidence."""
    fig = Figure(figsize=(5.5, 5.2))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect calibration")
    curves = (
        ("calibration", "ece", "reader score", "#4c72b0"),
        ("calibration_calibrated", "ece_calibrated", "calibrated confidence", "#dd8452"),
    )
    titles = []
    for key, metric, name, colour in curves:
        bins = report.get(key) or []
        if not bins:
            continue
        xs, ys = [b["mean_score"] for b in bins], [b["accuracy"] for b in bins]
        ece = report["metrics"].get(metric, {}).get("value")
        label = name + (f" (ECE {ece:.3f})" if ece is not None else "")
        ax.plot(xs, ys, marker="o", color=colour, label=label)
        for x, yv, b in zip(xs, ys, bins):
            ax.annotate(str(b["count"]), (x, yv), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7)
        if ece is not None:
            titles.append(f"ECE {ece:.3f}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.08)
    ax.set_xlabel("confidence (mean per bin; counts above the points)")
    ax.set_ylabel("fraction exactly right")
    ax.legend(loc="upper left", fontsize=8)
    extra = f", {' -> '.join(titles)}" if titles else ""
    ax.set_title(_title(report, "Calibration") + extra, fontsize=9)
    return _save(fig, path)


def write_charts(report: dict[str, Any], rows: Sequence[Row], directory: Path) -> list[Path]:
    directory = Path(directory)
    return [
        metric_bars(report, directory / "metrics.png"),
        latency_histogram(report, rows, directory / "latency.png"),
        calibration_curve(report, directory / "calibration.png"),
    ]
