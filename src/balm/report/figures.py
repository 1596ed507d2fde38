"""The report's own figures as SVG text: the participant flow, attendance and home practice.

The Jacobson plots come from :mod:`balm.change.figures`. As there, matplotlib (Agg) with a
fixed ``svg.hashsalt`` and no date in the metadata, so the same data give the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from balm.report.model import CheckinWeek, Flow

_RC: Any = {"svg.hashsalt": "balm-report", "svg.fonttype": "none", "font.size": 9.0}
_BLUE = "#0072B2"


@contextmanager
def _figure(width: float, height: float) -> Iterator[tuple[Any, Any]]:
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(width, height))
        try:
            yield fig, ax
        finally:
            plt.close(fig)


def _svg(fig: Any) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    # Inline in HTML: drop the XML prolog and DOCTYPE, keep the <svg> element.
    return text[text.index("<svg") :]


def _count(value: int | None) -> str:
    return "not known" if value is None else f"n = {value}"


def flow_steps(flow: Flow) -> list[tuple[str, int | None]]:
    """The boxes of the flow diagram, top to bottom."""
    return [
        ("Referred", flow.referred),
        ("Assessed", flow.assessed),
        ("Started the group", flow.started),
        (f"Attended at least {flow.k} of {flow.sessions_planned} sessions", flow.attended_k),
        ("Completed", flow.completed),
        ("Followed up (any follow-up score)", flow.followed_up),
    ]


def flow_diagram(flow: Flow) -> str:
    """A CONSORT-style flow diagram: one box per step, withdrawals to the side."""
    steps = flow_steps(flow)
    height = 1.1 * len(steps)
    with _figure(6.5, height) as (fig, ax):
        ax.set_xlim(0, 10)
        ax.set_ylim(0, height)
        ax.axis("off")
        box = {"boxstyle": "round,pad=0.4", "fc": "white", "ec": "black", "lw": 0.8}
        for k, (label, value) in enumerate(steps):
            y = height - 0.55 - k * 1.1
            ax.text(3.2, y, f"{label}\n{_count(value)}", ha="center", va="center", bbox=box)
            if k:
                ax.annotate(
                    "",
                    xy=(3.2, y + 0.32),
                    xytext=(3.2, y + 0.78),
                    arrowprops={"arrowstyle": "->", "lw": 0.8},
                )
        side = ["Withdrew", _count(flow.withdrawn)]
        if flow.withdrawn_before_start is not None:
            side.append(f"before starting: {flow.withdrawn_before_start}")
            side.append(f"after starting: {flow.withdrawn_after_start}")
        ax.text(8.0, height - 0.55 - 2.5 * 1.1, "\n".join(side), ha="center", va="center", bbox=box)
        return _svg(fig)


def attendance_chart(sessions: Sequence[int], rates: Sequence[float | None]) -> str:
    """Share of enrolled people who attended, per session number (bars)."""
    with _figure(6.0, 3.0) as (fig, ax):
        values = [0.0 if r is None else 100.0 * r for r in rates]
        ax.bar([str(s) for s in sessions], values, color=_BLUE)
        ax.set_ylim(0, 100)
        ax.set_xlabel("session")
        ax.set_ylabel("attended (% of enrolled)")
        ax.set_title("Attendance by session")
        return _svg(fig)


def practice_chart(weeks: Sequence[CheckinWeek]) -> str:
    """Median home-practice minutes per week, with the number of check-ins returned."""
    with _figure(6.0, 3.0) as (fig, ax):
        x = [w.week for w in weeks]
        medians = [w.practice_median for w in weeks]
        shown = [(a, m) for a, m in zip(x, medians, strict=True) if m is not None]
        ax.plot([a for a, _ in shown], [m for _, m in shown], marker="o", color=_BLUE)
        ax.set_xlabel("week")
        ax.set_ylabel("median minutes of practice")
        ax.set_title("Home practice reported in the weekly check-ins")
        ax.set_ylim(bottom=0)
        return _svg(fig)
