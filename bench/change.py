"""Benchmark: Jacobson-Truax classification (combined approach) of 1,000,000 participants.

Prints figures, asserts nothing (goal: under 1 s for the classification itself). Run with
``python bench/change.py``. At the end it runs ``bench/change_mixed.py`` (the mixed-model
benchmark) when that file exists.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import numpy as np
import pandas as pd

from balm.change import analyse_change, combined_categories, cutoff_c, reliable_change

N = 1_000_000


def _synthetic(n: int, seed: int = 2024) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pre = rng.normal(30.0, 7.0, n).round()
    post = (pre - rng.normal(6.0, 8.0, n)).round()
    return pre, post


def _time(label: str, n: int, func: object) -> float:
    start = time.perf_counter()
    func()  # type: ignore[operator]
    seconds = time.perf_counter() - start
    print(f"{label:<58} {seconds:8.3f} s  {n / seconds:14,.0f} participants/s")
    return seconds


def main() -> None:
    pre, post = _synthetic(N)
    print(f"balm.change benchmark: {N:,} synthetic participants (PHQ-like, lower is better)")

    def arrays() -> None:
        rc = reliable_change(pre, post, method="jt", reliability=0.85, better="lower")
        cut = cutoff_c(float(pre.mean()), float(pre.std(ddof=1)), 8.0, 5.0)
        cats = combined_categories(rc.improved, rc.deteriorated, pre, post, cut, "lower")
        counts = pd.Series(cats).value_counts()
        arrays.counts = counts  # type: ignore[attr-defined]

    _time("JT + combined categories, numpy arrays", N, arrays)
    print("  counts:", dict(arrays.counts))  # type: ignore[attr-defined]

    ids = np.arange(N)
    long = pd.DataFrame(
        {
            "id": np.repeat(ids, 2),
            "time": np.tile(np.array([0, 1]), N),
            "score": np.column_stack([pre, post]).ravel(),
        }
    )

    def full() -> None:
        analyse_change(
            long,
            id="id",
            time="time",
            outcome="score",
            reliability=0.85,
            better="lower",
            m_functional=8.0,
            sd_functional=5.0,
        )

    _time("analyse_change from long data (2,000,000 rows, end to end)", N, full)

    mixed = Path(__file__).with_name("change_mixed.py")
    if mixed.is_file():
        spec = importlib.util.spec_from_file_location("bench_change_mixed", mixed)
        if spec is not None and spec.loader is not None:
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            print()
            module.main()


if __name__ == "__main__":
    main()
