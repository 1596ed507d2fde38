"""Interval arithmetic on coding spans (vectorised; never a loop over characters)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


def merge_intervals(
    group: IntArray, start: IntArray, end: IntArray, shift: int
) -> tuple[IntArray, ...]:
    """Union of the intervals within each group: (group, start, end) of disjoint intervals.

    Starts and ends are shifted by ``group * shift`` so one running maximum over the sorted
    intervals never crosses a group; intervals that only touch stay separate.
    """
    if start.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    s = group * shift + start
    e = group * shift + end
    order = np.argsort(s, kind="stable")
    s, e = s[order], e[order]
    reach = np.maximum.accumulate(e)
    new = np.ones(s.size, dtype=bool)
    new[1:] = s[1:] >= reach[:-1]
    first = np.flatnonzero(new)
    last = np.r_[first[1:] - 1, s.size - 1]
    merged_group = s[first] // shift
    return merged_group, s[first] - merged_group * shift, reach[last] - merged_group * shift
