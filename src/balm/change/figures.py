"""Figures of change as SVG text: the Jacobson plot, trajectories and a forest plot.

matplotlib with the Agg backend; the output is deterministic (fixed ``svg.hashsalt``, no
date in the metadata), so the same data give byte-identical SVG.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from balm.change.analysis import ChangeResult
from balm.change.categories import ALL_CATEGORIES, Category
from balm.change.data import check_columns, numeric_outcome, ordered_timepoints
from balm.change.effect_sizes import EffectSize

#: Colour per category (colour-blind-safe Okabe-Ito palette).
COLOURS: dict[Category, str] = {
    Category.RECOVERED: "#0072B2",
    Category.IMPROVED: "#009E73",
    Category.UNCHANGED: "#999999",
    Category.DETERIORATED: "#E69F00",
    Category.HARMED: "#D55E00",
}

_RC: dict[Any, Any] = {"svg.hashsalt": "balm", "svg.fonttype": "none", "font.size": 9.0}


@contextmanager
def _figure(width: float, height: float) -> Iterator[tuple[Any, Any]]:
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(width, height))
        try:
            yield fig, ax
        finally:
            plt.close(fig)


def _svg(fig: Any, dpi: float | str = "figure") -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight", dpi=dpi)
    return buffer.getvalue()


def jacobson_plot(
    result: ChangeResult, title: str | None = None, *, rasterized: bool = False
) -> str:
    """Pre against post for each participant, coloured by category.

    Draws the no-change line (post = pre), the band of no reliable change for the JT
    method (post = pre +/- 1.96 S_diff; for other methods the band is omitted because it
    depends on each participant's pre score through the sample mean) or for the anchor
    approach (post = pre +/- MID), and the cut-off on both axes when one was used.

    Parameters
    ----------
    result : ChangeResult
    title : str, optional
    rasterized : bool, default False
        Draw the points as one embedded image (150 dpi) instead of one vector mark each:
        a plot of hundreds of people then stays small and quick to lay out in a PDF.

    Returns
    -------
    str
        SVG document.
    """
    table = result.participants.loc[result.participants["included"]]
    pre = table["pre"].to_numpy(dtype=np.float64)
    post = table["post"].to_numpy(dtype=np.float64)
    values = np.concatenate([pre, post]) if pre.size else np.array([0.0, 1.0])
    low, high = float(values.min()), float(values.max())
    pad = max((high - low) * 0.08, 1.0)
    low, high = low - pad, high + pad
    line = np.array([low, high])
    with _figure(5.0, 5.0) as (fig, ax):
        band = None
        if (
            result.method is not None
            and result.method.value == "jt"
            and "s_diff" in result.constants
        ):
            band = result.constants["s_diff"] * _critical(result)
        elif result.approach.value == "anchor":
            mid = result.parameter("mid")
            band = float(mid.value) if mid is not None else None
        if band is not None:
            ax.fill_between(
                line, line - band, line + band, color="#dddddd", lw=0, label="no reliable change"
            )
        ax.plot(line, line, color="black", lw=0.8, label="no change")
        if result.cutoff is not None:
            ax.axvline(result.cutoff.value, color="black", ls="--", lw=0.8)
            ax.axhline(
                result.cutoff.value,
                color="black",
                ls="--",
                lw=0.8,
                label=f"cut-off {result.cutoff.type.value} = {result.cutoff.value:.2f}",
            )
        cats = table["category"].astype("string").to_numpy()
        for category in ALL_CATEGORIES:
            mask = cats == category.value
            if mask.any():
                ax.scatter(
                    pre[mask],
                    post[mask],
                    s=18,
                    color=COLOURS[category],
                    label=f"{category.value} ({int(mask.sum())})",
                    zorder=3,
                    rasterized=rasterized,
                )
        ax.set_xlim(low, high)
        ax.set_ylim(low, high)
        ax.set_aspect("equal")
        ax.set_xlabel(f"pre ({result.pre_label})")
        ax.set_ylabel(f"post ({result.post_label})")
        ax.set_title(title or f"{result.approach.value} approach, n = {result.n_included}")
        ax.legend(loc="upper left", fontsize=7, frameon=False)
        return _svg(fig, 150 if rasterized else "figure")


def _critical(result: ChangeResult) -> float:
    param = result.parameter("critical_value")
    return float(param.value) if param is not None else 1.96


def trajectory_plot(
    data: pd.DataFrame,
    *,
    id: str,
    time: str,
    outcome: str,
    group: str | None = None,
    title: str | None = None,
) -> str:
    """Each participant's scores over time (thin lines) with the group mean (thick line).

    Parameters
    ----------
    data : pandas.DataFrame
        Long data.
    id, time, outcome : str
    group : str, optional
        One mean line per group.
    title : str, optional

    Returns
    -------
    str
        SVG document.
    """
    check_columns(data, [id, time, outcome, group])
    order = ordered_timepoints(data[time])
    position = {v: float(i) for i, v in enumerate(order)}
    frame = pd.DataFrame(
        {"id": data[id], "x": data[time].map(position), "y": numeric_outcome(data, outcome)}
    )
    if group is not None:
        frame["group"] = data[group].astype("string")
    frame = frame.dropna(subset=["x", "y"]).sort_values(["id", "x"], kind="stable")
    palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
    with _figure(6.0, 4.0) as (fig, ax):
        groups: Sequence[Any] = (
            [None] if group is None else sorted(frame["group"].dropna().unique())
        )
        for k, name in enumerate(groups):
            part = frame if name is None else frame.loc[frame["group"] == name]
            colour = palette[k % len(palette)]
            for _, person in part.groupby("id", sort=True):
                ax.plot(person["x"], person["y"], color=colour, alpha=0.25, lw=0.6)
            mean = part.groupby("x")["y"].mean()
            ax.plot(
                mean.index,
                mean.to_numpy(),
                color=colour,
                lw=2.5,
                marker="o",
                label="mean" if name is None else f"{name} mean",
            )
        ax.set_xticks(range(len(order)), [str(v) for v in order])
        ax.set_xlabel(time)
        ax.set_ylabel(outcome)
        ax.set_title(title or f"{outcome} over time")
        ax.legend(fontsize=7, frameon=False)
        return _svg(fig)


def forest_plot(effects: Sequence[tuple[str, EffectSize]], title: str | None = None) -> str:
    """Effect sizes with their confidence intervals, one row per label.

    Parameters
    ----------
    effects : sequence of (label, EffectSize)
        e.g. ``[("all", change.g_av), ("online", ...)]``.
    title : str, optional

    Returns
    -------
    str
        SVG document.
    """
    rows = [(label, e) for label, e in effects if not math.isnan(e.estimate)]
    height = 1.0 + 0.35 * max(len(rows), 1)
    with _figure(5.0, height) as (fig, ax):
        for k, (_, e) in enumerate(rows):
            y = len(rows) - 1 - k
            ax.plot([e.ci_low, e.ci_high], [y, y], color="black", lw=1.0)
            ax.plot([e.estimate], [y], marker="s", color="#0072B2", ms=6)
        ax.axvline(0.0, color="black", ls=":", lw=0.8)
        ax.set_yticks(range(len(rows)), [label for label, _ in reversed(rows)])
        ax.set_ylim(-0.7, max(len(rows), 1) - 0.3)
        names = sorted({e.name for _, e in rows})
        ax.set_xlabel(", ".join(names) + " (post - pre) with 95 % CI" if names else "effect size")
        ax.set_title(title or "effect sizes")
        return _svg(fig)
