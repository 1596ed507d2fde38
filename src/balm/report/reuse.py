"""Results one report build would otherwise compute more than once.

The outcomes section, the completers table and the dose table each pair every person's pre
and post score of the same column (:func:`balm.change.pre_post`); the outcomes section and
the completers table describe the paired change of the same people when everyone in the
scores started (or completed) the group: the same pre and post arrays, so the same
:func:`balm.change.group_change`, whose exact noncentral-t intervals are the slow part. A
:class:`Reused` lives for one build over one scores frame; it returns the very object computed
the first time, so every number is the one a fresh call gives.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from balm.change import GroupChange, group_change, pre_post
from balm.report.inputs import ReportOptions


class Reused:
    """Complete pairs per column of ``scores``, and paired changes per distinct (pre, post)
    pair of arrays, each computed once in one build. Callers only read what they get."""

    def __init__(self, scores: pd.DataFrame, options: ReportOptions) -> None:
        self.scores = scores
        self.options = options
        self._pairs: dict[str, pd.DataFrame] = {}
        self._changes: dict[tuple[bytes, bytes], GroupChange] = {}

    def complete_pairs(self, column: str) -> pd.DataFrame:
        """``pre_post(scores, ...).complete`` of ``column`` at the options' pre and post
        (columns ``pre`` and ``post``, one row per person with both, in order of first
        appearance); raises as :func:`balm.change.pre_post` does."""
        found = self._pairs.get(column)
        if found is None:
            o = self.options
            found = pre_post(
                self.scores, id=o.id, time=o.time, outcome=column, pre=o.pre, post=o.post
            ).complete
            self._pairs[column] = found
        return found

    def group_change(
        self, pre: npt.NDArray[np.float64], post: npt.NDArray[np.float64]
    ) -> GroupChange:
        """:func:`balm.change.group_change` of ``pre`` and ``post`` (tests not run: the report
        shows no p-values), computed on the first call with these exact values (same order)."""
        x1 = np.ascontiguousarray(pre, dtype=np.float64)
        x2 = np.ascontiguousarray(post, dtype=np.float64)
        key = (x1.tobytes(), x2.tobytes())
        found = self._changes.get(key)
        if found is None:
            found = group_change(x1, x2, tests=False)
            self._changes[key] = found
        return found
