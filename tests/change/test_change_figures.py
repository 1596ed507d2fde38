"""Figures: valid, deterministic SVG with the elements a reader needs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from balm.change import analyse_change, group_change
from balm.change.figures import forest_plot, jacobson_plot, trajectory_plot


def _long() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    rows = []
    for k in range(12):
        for t in range(3):
            rows.append(
                {"id": k, "t": t, "g": "x" if k % 2 else "y", "y": 25 - 3 * t + rng.normal(0, 4)}
            )
    return pd.DataFrame(rows)


def test_jacobson_plot_is_deterministic_svg() -> None:
    """Same data, same bytes (svg.hashsalt fixed, no date); shows the cut-off."""
    result = analyse_change(
        _long(), id="id", time="t", outcome="y", reliability=0.8, better="lower", cutoff_value=20
    )
    first, second = jacobson_plot(result), jacobson_plot(result)
    assert first == second
    assert first.lstrip().startswith("<?xml") and "</svg>" in first
    assert "<dc:date>" not in first
    assert "cut-off published = 20.00" in first
    assert "no reliable change" in first


def test_rasterized_jacobson_plot_embeds_one_image_and_is_deterministic() -> None:
    result = analyse_change(
        _long(), id="id", time="t", outcome="y", reliability=0.8, better="lower", cutoff_value=20
    )
    vector = jacobson_plot(result)
    first, second = (jacobson_plot(result, rasterized=True) for _ in range(2))
    assert first == second
    assert first.count("<image") == 1 and "<image" not in vector
    # The legend and lines stay vector: the text is still in the SVG.
    assert "cut-off published = 20.00" in first


def test_trajectory_and_forest_plots() -> None:
    """Trajectories with group means; a forest plot of effect sizes."""
    svg = trajectory_plot(_long(), id="id", time="t", outcome="y", group="g")
    assert "x mean" in svg and "y mean" in svg
    assert svg == trajectory_plot(_long(), id="id", time="t", outcome="y", group="g")
    data = _long()
    pre = data.loc[data["t"] == 0, "y"].to_numpy()
    post = data.loc[data["t"] == 2, "y"].to_numpy()
    change = group_change(pre, post)
    forest = forest_plot([("d_z", change.d_z), ("g_av", change.g_av)])
    assert "g_av" in forest and "</svg>" in forest
