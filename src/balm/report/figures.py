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


def _count(value: int | None, shareable: bool = False) -> str:
    from balm.report.shareable import count_text

    return "not known" if value is None else f"n = {count_text(value, shareable)}"


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


def flow_diagram(flow: Flow, *, shareable: bool = False) -> str:
    """A CONSORT-style flow diagram: one box per step, withdrawals to the side (counts under
    5 shown as <5 when ``shareable``)."""
    from balm.report.shareable import count_text

    steps = flow_steps(flow)
    height = 1.1 * len(steps)
    with _figure(6.5, height) as (fig, ax):
        ax.set_xlim(0, 10)
        ax.set_ylim(0, height)
        ax.axis("off")
        box = {"boxstyle": "round,pad=0.4", "fc": "white", "ec": "black", "lw": 0.8}
        for k, (label, value) in enumerate(steps):
            y = height - 0.55 - k * 1.1
            ax.text(
                3.2, y, f"{label}\n{_count(value, shareable)}", ha="center", va="center", bbox=box
            )
            if k:
                ax.annotate(
                    "",
                    xy=(3.2, y + 0.32),
                    xytext=(3.2, y + 0.78),
                    arrowprops={"arrowstyle": "->", "lw": 0.8},
                )
        side = ["Withdrew", _count(flow.withdrawn, shareable)]
        if flow.withdrawn_before_start is not None:
            side.append(f"before starting: {count_text(flow.withdrawn_before_start, shareable)}")
            side.append(f"after starting: {count_text(flow.withdrawn_after_start, shareable)}")
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


def checkin_trajectories(weeks: Sequence[CheckinWeek]) -> str:
    """Mean of each check-in rating per week, one line per rating (0-10 scales)."""
    names = sorted({s for w in weeks for s in w.scales})
    markers = "osD^v<>p"
    with _figure(6.0, 3.4) as (fig, ax):
        for k, name in enumerate(names):
            shown = [(w.week, w.scales[name]) for w in weeks if w.scales.get(name) is not None]
            ax.plot(
                [a for a, _ in shown],
                [m for _, m in shown],
                marker=markers[k % len(markers)],
                markersize=3,
                label=name.replace("_", " "),
            )
        ax.set_xlabel("week")
        ax.set_ylabel("mean rating")
        ax.set_title("Weekly check-in ratings")
        if names:
            ax.legend(fontsize=7, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.2))
        return _svg(fig)


def forest_plot(rows: Sequence[tuple[str, float | None, float | None, float | None]]) -> str:
    """Estimates with 95% CIs, one row each (label, estimate, low, high), zero marked."""
    height = max(1.6, 0.22 * len(rows) + 0.8)
    with _figure(6.0, height) as (fig, ax):
        ys = list(range(len(rows)))[::-1]
        for y, (_, est, low, high) in zip(ys, rows, strict=True):
            if est is None:
                continue
            if low is not None and high is not None:
                ax.plot([low, high], [y, y], color=_BLUE, lw=1)
            ax.plot([est], [y], marker="s", color=_BLUE, markersize=3)
        ax.axvline(0, color="black", lw=0.6)
        ax.set_yticks(ys)
        ax.set_yticklabels([label for label, *_ in rows], fontsize=7)
        ax.set_ylim(-0.8, len(rows) - 0.2)
        ax.set_xlabel("points per week (95% CI)")
        ax.set_title("Comparisons: reference slope and differences from it")
        return _svg(fig)
