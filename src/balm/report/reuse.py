"""Results one report build would otherwise compute more than once.

The outcomes section and the completers table both describe the paired change of the same
people when everyone in the scores started (or completed) the group: the same pre and post
arrays, so the same :func:`balm.change.group_change`, whose exact noncentral-t intervals are
the slow part. A :class:`Reused` lives for one build; it returns the very object computed the
first time, so every number is the one a fresh call gives.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from balm.change import GroupChange, group_change


class Reused:
    """Paired changes computed once per distinct (pre, post) pair of arrays in one build."""

    def __init__(self) -> None:
        self._changes: dict[tuple[bytes, bytes], GroupChange] = {}

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
