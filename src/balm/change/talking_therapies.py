"""NHS Talking Therapies (formerly IAPT) outcomes per participant from PHQ-9 and GAD-7.

Thresholds and definitions come from ``outcome_definitions/talking_therapies.yaml`` (with
what was and was not confirmed there). For participant *i* with PHQ-9 scores (d_pre, d_post)
and GAD-7 scores (a_pre, a_post), caseness scores c_d = 10 and c_a = 8, and reliable change
amounts r_d = 6 and r_a = 4:

* case(t) = d_t >= c_d or a_t >= c_a;
* reliable decrease on a measure: pre - post >= r; reliable increase: post - pre >= r;
* recovery = case(pre) and not case(post);
* reliable improvement = a reliable decrease on at least one measure and no reliable
  increase on the other;
* reliable deterioration = a reliable increase on at least one measure and no reliable
  decrease on the other;
* reliable recovery = recovery and reliable improvement.

Each participant also gets one category for counting, the first that applies of
``reliable_recovery``, ``reliable_improvement``, ``reliable_deterioration``, ``recovery``
(recovered without a reliable change either way) and ``no_reliable_change``.
Recovery rates are over the cases at pre; improvement and deterioration rates over all
participants analysed (both measures at pre and post).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from balm.change.data import pre_post
from balm.change.errors import ChangeInputError
from balm.change.outcome_definitions import talking_therapies_definitions
from balm.change.parameters import Parameter

#: Categories in reporting order (best first).
TT_CATEGORIES: tuple[str, ...] = (
    "reliable_recovery",
    "reliable_improvement",
    "recovery",
    "no_reliable_change",
    "reliable_deterioration",
)


@dataclass(frozen=True)
class TalkingTherapiesResult:
    """Result of :func:`talking_therapies`.

    Attributes
    ----------
    participants : pandas.DataFrame
        Indexed by id: ``phq9_pre``, ``phq9_post``, ``gad7_pre``, ``gad7_post``,
        ``case_pre``, ``case_post``, ``reliable_improvement``, ``reliable_deterioration``,
        ``recovery``, ``reliable_recovery`` (booleans, False when excluded), ``category``
        (missing when excluded) and ``included``.
    n_total, n_included, n_cases_pre : int
    pre_label, post_label : object
    parameters : tuple of Parameter
        Caseness scores and reliable change amounts, with their source.
    notes : tuple of str
    """

    participants: pd.DataFrame
    n_total: int
    n_included: int
    n_cases_pre: int
    pre_label: Any
    post_label: Any
    parameters: tuple[Parameter, ...]
    notes: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        """Participants per category, over those analysed."""
        tally = self.participants["category"].value_counts(dropna=True)
        return {c: int(tally.get(c, 0)) for c in TT_CATEGORIES}

    def rates(self) -> dict[str, float | None]:
        """Talking Therapies rates as proportions (None when the denominator is 0).

        recovery and reliable_recovery: over the cases at pre; reliable_improvement and
        reliable_deterioration: over all participants analysed.
        """
        table = self.participants.loc[self.participants["included"]]
        cases = table.loc[table["case_pre"]]

        def share(part: int, whole: int) -> float | None:
            return part / whole if whole else None

        return {
            "recovery": share(int(cases["recovery"].sum()), len(cases)),
            "reliable_recovery": share(int(cases["reliable_recovery"].sum()), len(cases)),
            "reliable_improvement": share(int(table["reliable_improvement"].sum()), len(table)),
            "reliable_deterioration": share(int(table["reliable_deterioration"].sum()), len(table)),
        }

    def summary_dict(self) -> dict[str, Any]:
        """The machine-readable summary used by ``balm change --json``."""
        return {
            "approach": "talking-therapies",
            "n_total": self.n_total,
            "n_included": self.n_included,
            "n_cases_pre": self.n_cases_pre,
            "categories": self.counts(),
            "rates": self.rates(),
            "parameters": [
                {"name": p.name, "value": p.value, "source": p.source} for p in self.parameters
            ],
        }


def talking_therapies(
    data: pd.DataFrame,
    *,
    id: str,
    time: str,
    phq9: str,
    gad7: str,
    pre: Hashable | None = None,
    post: Hashable | None = None,
) -> TalkingTherapiesResult:
    """Classify each participant by the NHS Talking Therapies outcome definitions.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data: one row per participant per timepoint, with a PHQ-9 and a GAD-7 total.
    id, time : str
        Column names.
    phq9, gad7 : str
        Columns holding the PHQ-9 and GAD-7 totals.
    pre, post : optional
        Time values to compare; default first and last timepoint.

    Returns
    -------
    TalkingTherapiesResult

    Raises
    ------
    ChangeInputError
        For missing columns, scores outside 0-27 (PHQ-9) or 0-21 (GAD-7), or when no
        participant has both measures at pre and post.

    References
    ----------
    NHS Talking Therapies for anxiety and depression Manual; IAPT data handbook (see
    ``outcome_definitions/talking_therapies.yaml`` for what was confirmed).
    """
    if phq9 == gad7:
        raise ChangeInputError("the PHQ-9 and GAD-7 columns must differ")
    spec = talking_therapies_definitions()
    d = pre_post(data, id=id, time=time, outcome=phq9, pre=pre, post=post)
    a = pre_post(data, id=id, time=time, outcome=gad7, pre=d.pre_label, post=d.post_label)
    table = pd.DataFrame(
        {
            "phq9_pre": d.table["pre"],
            "phq9_post": d.table["post"],
            "gad7_pre": a.table["pre"].reindex(d.table.index),
            "gad7_post": a.table["post"].reindex(d.table.index),
        }
    )
    _check_range(table, ("phq9_pre", "phq9_post"), 27, phq9)
    _check_range(table, ("gad7_pre", "gad7_post"), 21, gad7)
    included = table.notna().all(axis=1).to_numpy()
    if not included.any():
        raise ChangeInputError(
            f"no participant has both {phq9!r} and {gad7!r} at pre ({d.pre_label!r}) and "
            f"post ({d.post_label!r})"
        )
    m_d, m_a = spec.measures["phq9"], spec.measures["gad7"]
    arr = {c: table[c].to_numpy(dtype=np.float64) for c in table.columns}
    case_pre = (arr["phq9_pre"] >= m_d.caseness) | (arr["gad7_pre"] >= m_a.caseness)
    case_post = (arr["phq9_post"] >= m_d.caseness) | (arr["gad7_post"] >= m_a.caseness)
    down_d = arr["phq9_pre"] - arr["phq9_post"] >= m_d.reliable_change
    down_a = arr["gad7_pre"] - arr["gad7_post"] >= m_a.reliable_change
    up_d = arr["phq9_post"] - arr["phq9_pre"] >= m_d.reliable_change
    up_a = arr["gad7_post"] - arr["gad7_pre"] >= m_a.reliable_change
    improvement = (down_d & ~up_a) | (down_a & ~up_d)
    deterioration = (up_d & ~down_a) | (up_a & ~down_d)
    recovery = case_pre & ~case_post
    reliable_recovery = recovery & improvement
    category = np.select(
        [reliable_recovery, improvement, deterioration, recovery],
        ["reliable_recovery", "reliable_improvement", "reliable_deterioration", "recovery"],
        default="no_reliable_change",
    ).astype(object)
    for name, values in (
        ("case_pre", case_pre),
        ("case_post", case_post),
        ("reliable_improvement", improvement),
        ("reliable_deterioration", deterioration),
        ("recovery", recovery),
        ("reliable_recovery", reliable_recovery),
    ):
        table[name] = values & included
    category[~included] = None
    table["category"] = pd.Categorical(category, categories=list(TT_CATEGORIES))
    table["included"] = included
    notes: list[str] = []
    if d.defaulted:
        notes.append(
            f"pre and post not given: using the first and last timepoints, "
            f"{d.pre_label!r} and {d.post_label!r}"
        )
    parameters = (
        Parameter("phq9_caseness", m_d.caseness, m_d.source),
        Parameter("phq9_reliable_change", m_d.reliable_change, m_d.source),
        Parameter("gad7_caseness", m_a.caseness, m_a.source),
        Parameter("gad7_reliable_change", m_a.reliable_change, m_a.source),
        Parameter("definitions", spec.name, spec.source),
    )
    return TalkingTherapiesResult(
        participants=table,
        n_total=int(table.shape[0]),
        n_included=int(included.sum()),
        n_cases_pre=int(table["case_pre"].sum()),
        pre_label=d.pre_label,
        post_label=d.post_label,
        parameters=parameters,
        notes=tuple(notes),
    )


def _check_range(table: pd.DataFrame, columns: tuple[str, str], top: int, name: str) -> None:
    values = table[list(columns)]
    outside = ((values < 0) | (values > top)).any(axis=1)
    if outside.any():
        ids = ", ".join(str(index) for index in values.index[outside][:10])
        raise ChangeInputError(f"{name!r} must lie between 0 and {top}; out of range for: {ids}")
