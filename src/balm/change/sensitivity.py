"""How much the categories depend on the reliable change method."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import pandas as pd

from balm.change.analysis import analyse_change
from balm.change.categories import ALL_CATEGORIES, Approach
from balm.change.data import ordered_timepoints
from balm.change.reliable import PRE_POST_METHODS, RCMethod


def method_sensitivity(
    data: pd.DataFrame,
    *,
    id: str,
    time: str,
    outcome: str,
    pre: Hashable | None = None,
    post: Hashable | None = None,
    approach: Approach | str = Approach.COMBINED,
    include_hlm: bool | None = None,
    **parameters: Any,
) -> pd.DataFrame:
    """Category counts under every reliable change method, side by side.

    Runs :func:`balm.change.analyse_change` with each of jt, gln, en, hll, nk, ha (and
    hlm when the data have 3 or more timepoints and ``include_hlm`` is not False) on the
    same data and parameters.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data.
    id, time, outcome : str
    pre, post : optional
    approach : {"distribution", "combined"}
    include_hlm : bool, optional
        Default: when there are at least 3 timepoints.
    **parameters
        Passed to :func:`analyse_change` (reliability, better, norms, instrument ...);
        ``change_criterion`` is ignored (change is judged by each method in turn).

    Returns
    -------
    pandas.DataFrame
        Index = method; columns ``n_included`` and one per category.
    """
    kind = Approach(approach)
    if kind not in (Approach.DISTRIBUTION, Approach.COMBINED):
        raise ValueError(
            "method sensitivity compares reliable change methods: use "
            "the distribution or combined approach"
        )
    # The table compares reliable change methods, so change is always judged by them.
    parameters = {k: v for k, v in parameters.items() if k != "change_criterion"}
    methods: list[RCMethod] = list(PRE_POST_METHODS)
    if include_hlm is None:
        include_hlm = time in data.columns and len(ordered_timepoints(data[time])) >= 3
    if include_hlm:
        methods.append(RCMethod.HLM)
    rows = []
    for method in methods:
        result = analyse_change(
            data,
            id=id,
            time=time,
            outcome=outcome,
            pre=pre,
            post=post,
            approach=kind,
            method=method,
            **parameters,
        )
        row: dict[str, Any] = {"method": method.value, "n_included": result.n_included}
        row.update(result.counts())
        rows.append(row)
    columns = ["method", "n_included", *(c.value for c in ALL_CATEGORIES)]
    return pd.DataFrame(rows, columns=columns).set_index("method")
