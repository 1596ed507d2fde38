"""Benchmark: one person's reliable-change category (``balm.change.individual``), pair by pair
and in one batch, as the participant record and the cohort page call it.

The cohort page judges each participant's main scale of each questionnaire: a group of 30 with
8 questionnaires is 240 pairs; the record judges each later timepoint of each scale. Prints
figures, asserts nothing. Run with ``python bench/individual.py``.
"""

from __future__ import annotations

import time

import numpy as np

from balm.change import individual_change, individual_changes


def main() -> None:
    rng = np.random.default_rng(2026)
    n = 240
    pre = rng.integers(10, 28, n).astype(float)
    post = np.clip(pre - rng.normal(5, 6, n).round(), 0, 27)
    individual_changes(pre, post, instrument="phq9")  # load the catalogue first
    for instrument in ("phq9", "core10"):
        start = time.perf_counter()
        for a, b in zip(pre, post, strict=True):
            individual_change(float(a), float(b), instrument=instrument)
        one_by_one = time.perf_counter() - start
        start = time.perf_counter()
        individual_changes(pre, post, instrument=instrument)
        batch = time.perf_counter() - start
        print(
            f"{instrument:<7} {n} pairs: one by one {one_by_one * 1000:8.1f} ms "
            f"({one_by_one / n * 1000:.2f} ms a pair); in one batch {batch * 1000:6.2f} ms"
        )


if __name__ == "__main__":
    main()
