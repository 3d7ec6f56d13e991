"""The report's figures: matplotlib (Agg, no pyplot state), each returned as a ``data:`` PNG URI.

Colours follow the course's plots (``tab:`` palette): full marks green, partial orange, zero red,
waiting for a manual grade grey.
"""

from __future__ import annotations

import base64
import io
from typing import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

FULL, PARTIAL, ZERO, PENDING = "tab:green", "tab:orange", "tab:red", "tab:gray"
DPI = 100


def to_data_uri(fig: Figure) -> str:
    """The figure as an inline PNG (``data:image/png;base64,...``)."""
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(width: float = 7.5, height: float = 3.6) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def score_histogram(scores: Sequence[float], max_score: float, assignment: str) -> str:
    """Total scores of the submissions, with their mean and median."""
    fig = _figure()
    ax = fig.subplots()
    top = max([max_score, *scores, 1.0])
    bins = min(20, max(5, int(round(top))))
    ax.hist(scores, bins=bins, range=(0, top), color="tab:blue", edgecolor="white", label="submissions")
    if scores:
        ordered = sorted(scores)
        mid = len(ordered) // 2
        median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
        mean = sum(scores) / len(scores)
        ax.axvline(mean, color="black", linestyle="--", lw=1.5, label=f"mean {mean:.2f}")
        ax.axvline(median, color="tab:purple", linestyle=":", lw=1.5, label=f"median {median:.2f}")
    ax.axvline(max_score, color=FULL, lw=1.5, label=f"maximum {max_score:g}")
    ax.set_xlim(0, top * 1.02)
    ax.set_title(f"{assignment}: distribution of total scores")
    ax.set_xlabel("total score (points)")
    ax.set_ylabel("submissions")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return to_data_uri(fig)


def cell_outcomes(labels: Sequence[str], fractions: Sequence[tuple[float, float, float, float]],
                  hardest: int | None) -> str:
    """Per graded cell, the fraction of submissions with full, partial, zero and pending marks;
    the hardest cell is marked."""
    fig = _figure(height=max(2.4, 0.45 * len(labels) + 1.4))
    ax = fig.subplots()
    rows = list(range(len(labels)))[::-1]  # first cell on top
    left = [0.0] * len(labels)
    for index, (name, colour) in enumerate((("full", FULL), ("partial", PARTIAL), ("zero", ZERO),
                                            ("waiting for a manual grade", PENDING))):
        widths = [f[index] for f in fractions]
        if index == 3 and not any(widths):
            continue
        ax.barh(rows, widths, left=left, color=colour, edgecolor="white", label=name)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.set_yticks(rows, labels)
    if hardest is not None:
        tick = ax.get_yticklabels()[hardest]
        tick.set_fontweight("bold")
        tick.set_color(ZERO)
        ax.annotate("hardest", xy=(1.0, rows[hardest]), xytext=(1.02, rows[hardest]), va="center",
                    color=ZERO, fontweight="bold", annotation_clip=False)
    ax.set_xlim(0, 1)
    ax.set_title("Outcome of each graded cell")
    ax.set_xlabel("fraction of submissions")
    ax.set_ylabel("graded cell")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=4, fontsize="small")
    return to_data_uri(fig)


def metric_histogram(name: str, metric: str, values: Sequence[float], full: float | None, zero: float | None) -> str:
    """A threshold check's metric over the class, with the full-marks and zero thresholds."""
    fig = _figure()
    ax = fig.subplots()
    marks = [v for v in (full, zero) if v is not None]
    low, high = min([*values, *marks]), max([*values, *marks])
    span = (high - low) or 1.0
    ax.hist(values, bins=15, range=(low - 0.05 * span, high + 0.05 * span), color="tab:blue", edgecolor="white",
            label=f"submissions ({len(values)})")
    if full is not None:
        ax.axvline(full, color=FULL, linestyle="--", lw=2, label=f"full marks at {full:g}")
    if zero is not None:
        ax.axvline(zero, color=ZERO, linestyle="--", lw=2, label=f"no marks at {zero:g}")
    ax.set_title(f"{name}: {metric} measured by the grader")
    ax.set_xlabel(metric)
    ax.set_ylabel("submissions")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return to_data_uri(fig)


def resources(points: dict[str, list[tuple[float, float | None]]]) -> str:
    """Run time against peak memory per submission, one colour per device."""
    fig = _figure()
    run_ax, mem_ax = fig.subplots(1, 2)
    for device, pairs in sorted(points.items()):
        runtimes = [r for r, _ in pairs]
        memory = [m for _, m in pairs if m is not None]
        run_ax.hist(runtimes, bins=10, alpha=0.7, label=f"{device} ({len(runtimes)})")
        if memory:
            mem_ax.hist(memory, bins=10, alpha=0.7, label=f"{device} ({len(memory)})")
    run_ax.set_title("Run time per submission")
    run_ax.set_xlabel("seconds")
    run_ax.set_ylabel("submissions")
    mem_ax.set_title("Peak memory per submission")
    mem_ax.set_xlabel("MB")
    mem_ax.set_ylabel("submissions")
    for ax in (run_ax, mem_ax):
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(title="device", fontsize="small")
    return to_data_uri(fig)
