"""Property tests (hypothesis): mirror symmetry, no change, and scale invariance.

Sources: the definitions in Jacobson & Truax (1991) and Claus et al. (2024): every index
is a difference over a spread, so it is unchanged by rescaling; every rule is stated
relative to "better", so negating scores and flipping "better" mirrors it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from balm.change import ChangeInputError, analyse_change

pairs = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=4, max_size=25)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CASES = [
    {"approach": "distribution", "method": m} for m in ("jt", "gln", "en", "hll", "nk", "ha")
] + [
    {"approach": "combined", "method": "jt", "m_functional": 8.0, "sd_functional": 4.0},
    {"approach": "combined", "method": "ha", "cutoff": "a"},
    {"approach": "statistical", "cutoff_value": 15.0},
    {"approach": "anchor", "mid": 5.0},
    {"approach": "percentage"},
]


def _long(values: list[tuple[float, float]], scale: float = 1.0) -> pd.DataFrame:
    n = len(values)
    scores = np.array(values, dtype=float).ravel() * scale
    return pd.DataFrame({"id": np.repeat(np.arange(n), 2), "time": np.tile([0, 1], n), "y": scores})


def _run(
    data: pd.DataFrame, better: str, case: dict[str, object], scale: float = 1.0, sign: float = 1.0
) -> list[str] | None:
    params = dict(case)
    for key in ("m_functional", "sd_functional", "cutoff_value", "mid"):
        if key in params:
            value = float(params[key]) * scale  # type: ignore[arg-type]
            params[key] = value * sign if key in ("m_functional", "cutoff_value") else value
    try:
        result = analyse_change(
            data, id="id", time="time", outcome="y", better=better, reliability=0.8, **params
        )  # type: ignore[arg-type]
    except ChangeInputError:
        return None  # e.g. constant baseline, or HA's r_DD <= 0: no categories to compare
    return [str(c) for c in result.participants["category"]]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['approach']}-{c.get('method', '')}")
@SETTINGS
@given(values=pairs)
def test_mirror_symmetry(case: dict[str, object], values: list[tuple[int, int]]) -> None:
    """Negating scores and norms and flipping 'better' gives the same categories."""
    assume(case["approach"] != "percentage" or all(p != 0 for p, _ in values))
    lower = _run(_long(values), "lower", case)
    higher = _run(_long(values, scale=-1.0), "higher", case, scale=1.0, sign=-1.0)
    assert lower == higher


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['approach']}-{c.get('method', '')}")
@SETTINGS
@given(values=pairs, power=st.integers(-3, 4))
def test_scale_invariance(
    case: dict[str, object], values: list[tuple[int, int]], power: int
) -> None:
    """Scaling scores and norms (and MID, cut-off) by k leaves categories alone.

    k is a power of two so that the scaling itself is exact in floating point.
    """
    k = 2.0**power
    assert _run(_long(values), "lower", case) == _run(_long(values, k), "lower", case, scale=k)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.get("method") in (None, "jt")], ids=lambda c: f"{c['approach']}"
)
@SETTINGS
@given(values=pairs, still=st.integers(0, 40))
def test_no_change_is_unchanged(
    case: dict[str, object], values: list[tuple[int, int]], still: int
) -> None:
    """A participant whose score did not move is unchanged (JT, statistical, anchor,
    percentage). The regression-based indices (GLN, HLL, EN, NK, HA) compare post with a
    predicted score, so a zero raw change can be reliable for them by design."""
    cats = _run(_long([*values, (still, still)]), "lower", case)
    if cats is not None:
        assert cats[-1] == "unchanged"
