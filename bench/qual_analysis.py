"""Benchmark: qualitative analyses on synthetic projects (prints figures, asserts nothing).

1. Character-level agreement (two coders, 30 codes, 1,000 bootstrap resamples) over 200
   synthetic sources of 10,000 words (~60,000 characters) each with 20,000 codings
   (goal: under 1 s on one core).
2. Suggestions over 5,000 passages: NMF and k-means groupings, similar passages
   (goal: under 10 s); key phrases over whole sources for reference.

Run with ``python bench/qual_analysis.py``; each figure is the best of 3 runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from balm.qual.agreement import agreement
from balm.qual.suggest import group_passages, key_phrases, passages, similar_passages

N_SOURCES = 200
WORDS_PER_SOURCE = 10_000
N_CODINGS = 20_000
N_CODES = 30
N_PASSAGES = 5_000


def _best_of_3(label: str, func: Callable[[], Any]) -> Any:
    times, result = [], None
    for _ in range(3):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    print(f"{label:<66} {min(times):7.3f} s  (runs: {', '.join(f'{t:.3f}' for t in times)})")
    return result


def _vocabulary(rng: np.random.Generator) -> np.ndarray:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lengths = rng.integers(2, 9, size=3000)
    return np.array(["".join(rng.choice(letters, size=n)) for n in lengths])


def _sources(rng: np.random.Generator, vocab: np.ndarray) -> pd.DataFrame:
    # ten topics: each source draws mostly from a shared pool and one topic's words
    topics = vocab[: 10 * 200].reshape(10, 200)
    shared = vocab[2000:]
    texts = []
    for i in range(N_SOURCES):
        pool = np.concatenate([shared, topics[i % 10], topics[i % 10]])
        words = rng.choice(pool, size=WORDS_PER_SOURCE)
        texts.append(" ".join(words.tolist()))
    return pd.DataFrame(
        {
            "source": [f"S{i:03d}" for i in range(N_SOURCES)],
            "name": [f"Interview {i}" for i in range(N_SOURCES)],
            "case": [f"P{i:03d}" for i in range(N_SOURCES)],
            "kind": "interview",
            "text": texts,
        }
    )


def _codings(rng: np.random.Generator, lengths: np.ndarray) -> pd.DataFrame:
    half = N_CODINGS // 2
    src = rng.integers(0, N_SOURCES, size=half)
    size = rng.integers(80, 1200, size=half)
    start = (rng.random(half) * (lengths[src] - size)).astype(np.int64)
    code = rng.integers(0, N_CODES, size=half)
    # coder B: the same passages with edges moved up to 60 characters, 10 % another code
    shift_a = rng.integers(-60, 61, size=half)
    shift_b = rng.integers(-60, 61, size=half)
    b_start = np.clip(start + shift_a, 0, lengths[src] - 1)
    b_end = np.clip(start + size + shift_b, b_start + 1, lengths[src])
    b_code = np.where(rng.random(half) < 0.1, rng.integers(0, N_CODES, size=half), code)
    frame = pd.DataFrame(
        {
            "coding": [f"c{i}" for i in range(2 * half)],
            "source": [f"S{i:03d}" for i in np.concatenate([src, src])],
            "start": np.concatenate([start, b_start]),
            "end": np.concatenate([start + size, b_end]),
            "code": [f"K{c}" for c in np.concatenate([code, b_code])],
            "coder": ["A"] * half + ["B"] * half,
            "origin": "person",
        }
    )
    return frame


def main() -> None:
    rng = np.random.default_rng(2026)
    vocab = _vocabulary(rng)
    sources = _sources(rng, vocab)
    lengths = sources["text"].str.len().to_numpy()
    codes = pd.DataFrame(
        {
            "code": [f"K{i}" for i in range(N_CODES)],
            "name": [f"Code {i}" for i in range(N_CODES)],
            "parent": pd.NA,
            "color": pd.NA,
        }
    )
    codings = _codings(rng, lengths)
    print(
        f"balm.qual benchmark: {N_SOURCES} sources, {int(lengths.sum()):,} characters, "
        f"{len(codings):,} codings by 2 coders, {N_CODES} codes"
    )
    result = _best_of_3(
        "agreement, character units, 1,000 unit resamples",
        lambda: agreement(sources, codes, codings),
    )
    o = result.overall
    print(
        f"  overall: {o.percent_agreement:.2f} % agreement, kappa {o.cohen_kappa:.3f}, "
        f"alpha {o.krippendorff_alpha:.3f}, CI {result.alpha_ci[0]:.4f}-{result.alpha_ci[1]:.4f}, "
        f"{result.n_units:,} characters"
    )
    _best_of_3(
        "agreement, character units, 1,000 source resamples",
        lambda: agreement(sources, codes, codings, resample="source"),
    )
    _best_of_3(
        "agreement, uncoded text excluded, no bootstrap",
        lambda: agreement(sources, codes, codings, uncoded="exclude", n_resamples=0),
    )

    # 5,000 passages of 20-60 words, cut from the sources
    per = N_PASSAGES // N_SOURCES
    rows = []
    for i, text in enumerate(sources["text"]):
        starts = np.sort(rng.choice(len(text) - 400, size=per, replace=False))
        for s in starts:
            a = text.rfind(" ", 0, int(s)) + 1
            b = text.find(" ", a + int(rng.integers(120, 360)))
            rows.append((sources["source"].iloc[i], a, b if b > 0 else len(text), pd.NA))
    segments = pd.DataFrame(rows, columns=["source", "start", "end", "speaker"])
    frame = passages(sources, segments=segments)
    print(f"suggestions over {len(frame):,} passages")
    groups = _best_of_3(
        "grouping, TF-IDF + NMF, 10 groups",
        lambda: group_passages(frame, n_groups=10, method="nmf"),
    )
    print(f"  {len(groups)} groups, sizes {sorted(len(g.members) for g in groups)}")
    _best_of_3(
        "grouping, TF-IDF + k-means, 10 groups",
        lambda: group_passages(frame, n_groups=10, method="kmeans"),
    )
    _best_of_3(
        "similar passages (top 10 for one passage)",
        lambda: similar_passages(frame, frame["passage"].iloc[0]),
    )
    # n-gram vocabularies of whole interviews grow fast (random words are the worst case:
    # 1.5 million distinct bigrams over 200 sources), so key phrases are timed on a study of 20
    few = sources.iloc[:20]
    _best_of_3(
        "key phrases, 1-2-grams, 20 whole sources (10,000 words each)",
        lambda: key_phrases(few),
    )
    _best_of_3(
        f"key phrases, single words, {N_SOURCES} whole sources",
        lambda: key_phrases(sources, ngram_range=(1, 1)),
    )


if __name__ == "__main__":
    main()
