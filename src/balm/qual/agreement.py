"""Agreement between coders: percentage agreement, Cohen's kappa and Krippendorff's alpha.

Units
-----
``character`` (default): every character (Unicode code point) of the compared sources is a
unit, coded or not, as NVivo counts coding comparison. For each code each coder's judgement of
a character is binary: the coder applied that code to it, or did not.

``segment``: the speaker turns of the ``segments`` frame; ``sentence``: sentences split from
the text (a run of text up to ``.``, ``!`` or ``?`` followed by white space, or to the end of
the line). A coder counts as having applied a code to such a unit when any of the unit's
characters lies inside one of that coder's codings with the code (any overlap, at least one
character).

Uncoded text
------------
``uncoded="agree"`` (default): a unit no coder coded with a code counts as the coders agreeing
that the code is absent. ``uncoded="exclude"``: units that no chosen coder coded with any
chosen code are left out altogether (for example interviewer turns nobody coded). The choice
is recorded in the result.

Overall figures pool the codes: the code x unit decisions are stacked into one binary variable
(each (code, unit) pair is a unit), and percentage agreement, Cohen's kappa (two coders) and
Krippendorff's alpha (nominal, any number of coders) are computed on that stacked matrix.

Computation: coding spans are painted as interval events (+1 at a start, -1 at an end, sorted
and summed cumulatively), never character by character; each stretch of text in which every
coder's decision is constant becomes one pattern count. Kappa comes from scikit-learn's
``cohen_kappa_score`` with those counts as sample weights. Alpha is computed from the same
pattern counts by Krippendorff's coincidence-matrix formula (weighted by how many units share a
pattern, which the ``krippendorff`` package cannot take and which a 12-million-character
comparison needs); the tests cross-check it against the ``krippendorff`` package.

References
----------
Krippendorff K (2011). Computing Krippendorff's alpha-reliability. Annenberg School for
Communication, University of Pennsylvania, Departmental Papers 43.
Cohen J (1960). A coefficient of agreement for nominal scales. Educ Psychol Meas 20:37-46.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.metrics import cohen_kappa_score

from balm.qual.analysis_errors import QualAnalysisError
from balm.qual.frame_checks import require, span_problems, unknown
from balm.qual.spans import merge_intervals

Unit = Literal["character", "segment", "sentence"]
Uncoded = Literal["agree", "exclude"]
Resample = Literal["unit", "source"]

UNCODED_RULES: dict[str, str] = {
    "agree": (
        "uncoded text counts: a unit no coder coded with a code counts as agreement that the "
        "code is absent (NVivo's convention)"
    ),
    "exclude": (
        "uncoded text left out: units no chosen coder coded with any chosen code are dropped"
    ),
}
UNIT_RULES: dict[str, str] = {
    "character": "every character (code point) of the compared sources is a unit",
    "segment": (
        "speaker turns; a coder applied a code to a turn if any character of it lies in one of "
        "their codings with that code"
    ),
    "sentence": (
        "sentences (to . ! ? before white space, or to the end of a line); a coder applied a code "
        "to a sentence if any character of it lies in one of their codings with that code"
    ),
}
POOLING = (
    "overall = the code x unit binary decisions stacked into one variable: percentage "
    "agreement and Cohen's kappa on the pooled decisions, Krippendorff's alpha (nominal) on the "
    "stacked matrix"
)
MAX_CODERS = 16
_SENTENCE = re.compile(r"\S[^\n]*?(?:[.!?]+(?=\s|$)|$)", re.MULTILINE)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class CodeAgreement:
    """Agreement for one code (or pooled over codes); a None statistic has its reason."""

    percent_agreement: float | None
    cohen_kappa: float | None
    krippendorff_alpha: float | None
    n_units: int
    undefined: tuple[str, ...] = ()

    def statistics(self) -> dict[str, float | None]:
        return {
            "percent_agreement": self.percent_agreement,
            "cohen_kappa": self.cohen_kappa,
            "krippendorff_alpha": self.krippendorff_alpha,
        }


@dataclass(frozen=True)
class AgreementResult:
    """Agreement per code and overall, with the choices that produced it."""

    unit: str
    coders: tuple[str, ...]
    sources: tuple[str, ...]
    overall: CodeAgreement
    codes: dict[str, CodeAgreement]
    alpha_ci: tuple[float, float] | None
    uncoded: str
    n_units: int
    n_resamples: int
    seed: int
    resample: str
    ci_note: str = ""
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """The result as JSON-ready data (statistics as floats, None where undefined)."""
        overall: dict[str, Any] = dict(self.overall.statistics())
        overall["alpha_ci"] = list(self.alpha_ci) if self.alpha_ci is not None else None
        undefined = {name: list(ca.undefined) for name, ca in self.codes.items() if ca.undefined}
        if self.overall.undefined:
            undefined["overall"] = list(self.overall.undefined)
        return {
            "unit": self.unit,
            "coders": list(self.coders),
            "overall": overall,
            "codes": {name: ca.statistics() for name, ca in self.codes.items()},
            "details": {
                "n_units": self.n_units,
                "uncoded": self.uncoded,
                "uncoded_rule": UNCODED_RULES[self.uncoded],
                "unit_rule": UNIT_RULES[self.unit],
                "pooling": POOLING,
                "sources": list(self.sources),
                "alpha_ci_method": (
                    f"percentile bootstrap, {self.n_resamples} resamples of "
                    f"{'units' if self.resample == 'unit' else 'sources'}, seed {self.seed}"
                ),
                "alpha_ci_note": self.ci_note,
                "undefined": undefined,
                "notes": list(self.notes),
            },
        }


def alpha_from_value_counts(
    value_counts: npt.ArrayLike, weights: npt.ArrayLike | None = None
) -> float | None:
    """Krippendorff's alpha for nominal data from per-unit value counts.

    ``value_counts[u, c]`` is how many coders gave unit (or unit pattern) ``u`` value ``c``;
    ``weights[u]`` is how many units have that row (default 1 each). With the coincidences
    ``o_ck = sum_u w_u (n_uc n_uk - [c = k] n_uc) / (m_u - 1)`` over units with ``m_u >= 2``
    values, ``n_c = sum_k o_ck`` and ``n = sum_c n_c``,

        alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c n_k

    (Krippendorff 2011, nominal data). Returns None when alpha is undefined: no pairable
    values, or every pairable value the same (expected disagreement 0).
    """
    vc = np.asarray(value_counts, dtype=np.float64)
    w = np.ones(vc.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    value = _alpha_many(vc, w[np.newaxis, :])[0]
    return None if np.isnan(value) else float(value)


def _alpha_many(value_counts: FloatArray, weights: FloatArray) -> FloatArray:
    """Nominal alpha for each row of ``weights`` (B x P) over pattern rows (P x V).

    NaN where alpha is undefined.
    """
    m_u = value_counts.sum(axis=1)
    pairable = m_u >= 2
    vc = value_counts[pairable]
    w = weights[:, pairable]
    outer = vc[:, :, np.newaxis] * vc[:, np.newaxis, :]
    per_unit = (outer - vc[:, :, np.newaxis] * np.eye(vc.shape[1])) / (m_u[pairable] - 1)[
        :, np.newaxis, np.newaxis
    ]
    o = np.einsum("bp,pck->bck", w, per_unit)
    n_c = o.sum(axis=2)
    n = n_c.sum(axis=1)
    off = 1.0 - np.eye(vc.shape[1])
    observed = (o * off).sum(axis=(1, 2))
    expected = (n_c[:, :, np.newaxis] * n_c[:, np.newaxis, :] * off).sum(axis=(1, 2))
    out = np.full(weights.shape[0], np.nan)
    ok = expected > 0
    out[ok] = 1.0 - (n[ok] - 1.0) * observed[ok] / expected[ok]
    return out


def agreement(
    sources: pd.DataFrame,
    codes: pd.DataFrame,
    codings: pd.DataFrame,
    segments: pd.DataFrame | None = None,
    *,
    unit: Unit = "character",
    uncoded: Uncoded = "agree",
    source_ids: Sequence[str] | None = None,
    coders: Sequence[str] | None = None,
    code_ids: Sequence[str] | None = None,
    n_resamples: int = 1000,
    seed: int = 20240601,
    resample: Resample = "unit",
) -> AgreementResult:
    """Percentage agreement, Cohen's kappa and Krippendorff's alpha per code and overall.

    Parameters
    ----------
    sources, codes, codings, segments : pandas.DataFrame
        Frames of the qualitative project (``segments`` only for ``unit="segment"``).
    unit : "character" | "segment" | "sentence"
        What one unit of comparison is (see the module docstring).
    uncoded : "agree" | "exclude"
        How text no coder coded is handled (see the module docstring).
    source_ids : sequence of str, optional
        Sources to compare. Default: every source in which each chosen coder coded something.
    coders : sequence of str, optional
        Coders to compare (two or more). Default: every coder in the codings, by name.
    code_ids : sequence of str, optional
        Codes to compare. Default: every code a chosen coder applied in the chosen sources.
    n_resamples, seed, resample : int, int, "unit" | "source"
        Percentile bootstrap for the overall alpha: ``n_resamples`` resamples (0 for none) of
        the stacked (code, unit) pairs (``"unit"``) or of whole sources (``"source"``, which
        respects that neighbouring characters are not independent), drawn with
        ``numpy.random.default_rng(seed)``.

    Returns
    -------
    AgreementResult
        Per code (keyed by code name) and overall statistics; kappa is None for more than two
        coders; a statistic that is undefined (no variation) is None with its reason.

    References
    ----------
    Krippendorff K (2011). Computing Krippendorff's alpha-reliability. Departmental Papers
    (ASC) 43, University of Pennsylvania. Cohen J (1960). Educ Psychol Meas 20:37-46.
    """
    for frame, name in ((sources, "sources"), (codes, "codes"), (codings, "codings")):
        require(frame, name)
    problems: list[str] = []
    if unit not in UNIT_RULES:
        problems.append(f"unit {unit!r} is not one of {', '.join(UNIT_RULES)}")
    if uncoded not in UNCODED_RULES:
        problems.append(f"uncoded {uncoded!r} is not one of {', '.join(UNCODED_RULES)}")
    if resample not in ("unit", "source"):
        problems.append(f"resample {resample!r} is not one of unit, source")
    if n_resamples < 0:
        problems.append(f"n_resamples must be 0 or more, not {n_resamples}")
    if unit == "segment":
        if segments is None:
            problems.append("unit 'segment' needs the segments frame")
        else:
            require(segments, "segments")
    if problems:
        raise QualAnalysisError(problems)

    lengths = pd.Series(
        sources["text"].astype(str).str.len().to_numpy(), index=sources["source"].astype(str)
    )
    problems += span_problems(codings, lengths, "coding", "coding")
    known_codes = codes["code"].astype(str)
    bad_code = ~codings["code"].astype(str).isin(known_codes)
    for cid, code in zip(
        codings.loc[bad_code, "coding"], codings.loc[bad_code, "code"], strict=True
    ):
        problems.append(f"coding {cid}: code {code} is not in the codes frame")
    all_coders = sorted(codings["coder"].astype(str).unique().tolist())
    chosen_coders = list(coders) if coders is not None else all_coders
    problems += unknown(chosen_coders, all_coders, "coder")
    if len(set(chosen_coders)) != len(chosen_coders):
        problems.append("a coder is named twice")
    if len(chosen_coders) < 2:
        problems.append(f"agreement needs two or more coders, got {len(chosen_coders)}")
    if len(chosen_coders) > MAX_CODERS:
        problems.append(f"at most {MAX_CODERS} coders can be compared at once")
    if source_ids is not None:
        problems += unknown(source_ids, lengths.index, "source")
    if code_ids is not None:
        problems += unknown(code_ids, known_codes, "code")
    if problems:
        raise QualAnalysisError(problems)

    used = codings[codings["coder"].astype(str).isin(chosen_coders)]
    if source_ids is None:
        per_source = used.groupby(used["source"].astype(str))["coder"].nunique()
        chosen_sources = [
            s for s in lengths.index if int(per_source.get(s, 0)) == len(chosen_coders)
        ]
        if not chosen_sources:
            raise QualAnalysisError(["no source was coded by every chosen coder"])
    else:
        chosen_sources = list(dict.fromkeys(source_ids))
    used = used[used["source"].astype(str).isin(chosen_sources)]
    active = set(used["coder"].astype(str).unique().tolist())
    idle = [c for c in chosen_coders if c not in active]
    if idle:
        raise QualAnalysisError([f"coder {c!r} coded nothing in the chosen sources" for c in idle])
    if code_ids is None:
        applied = set(used["code"].astype(str).unique().tolist())
        chosen_codes = [c for c in known_codes if c in applied]
    else:
        chosen_codes = list(dict.fromkeys(code_ids))
    used = used[used["code"].astype(str).isin(chosen_codes)]

    src_len = lengths.loc[chosen_sources].to_numpy(dtype=np.int64)
    if unit == "character":
        counts = _character_counts(used, chosen_sources, src_len, chosen_codes, chosen_coders)
        kept = _union_lengths(used, chosen_sources, src_len) if uncoded == "exclude" else src_len
        counts[:, :, 0] = kept[:, np.newaxis] - counts[:, :, 1:].sum(axis=2)
        n_units = int(kept.sum())
    else:
        units = (
            _segment_units(segments, chosen_sources)  # type: ignore[arg-type]
            if unit == "segment"
            else _sentence_units(sources, chosen_sources)
        )
        counts, n_units = _unit_counts(
            used, units, chosen_sources, src_len, chosen_codes, chosen_coders, uncoded
        )

    names = _code_names(codes, chosen_codes)
    m = len(chosen_coders)
    per_code = {
        names[i]: _statistics(counts[:, i, :].sum(axis=0), m, n_units)
        for i in range(len(chosen_codes))
    }
    pooled_sp = counts.sum(axis=1)
    pooled = pooled_sp.sum(axis=0)
    overall = _statistics(pooled, m, n_units * len(chosen_codes))
    alpha_ci, ci_note = _bootstrap(pooled_sp, m, n_resamples, seed, resample)
    notes: list[str] = []
    if not chosen_codes:
        notes.append("no chosen coder applied any code in the chosen sources")
    return AgreementResult(
        unit=unit,
        coders=tuple(chosen_coders),
        sources=tuple(chosen_sources),
        overall=overall,
        codes=per_code,
        alpha_ci=alpha_ci,
        uncoded=uncoded,
        n_units=n_units,
        n_resamples=n_resamples,
        seed=seed,
        resample=resample,
        ci_note=ci_note,
        notes=tuple(notes),
    )


def _code_names(codes: pd.DataFrame, chosen: list[str]) -> list[str]:
    by_id = dict(zip(codes["code"].astype(str), codes["name"].astype(str), strict=True))
    names = [by_id[c] for c in chosen]
    return [f"{n} [{c}]" if names.count(n) > 1 else n for n, c in zip(names, chosen, strict=True)]


def _positions(known: list[str], values: pd.Series) -> IntArray:
    """Position of each value in ``known`` (-1 when absent)."""
    return pd.Index(known).get_indexer(pd.Index(values)).astype(np.int64)


def _indices(
    used: pd.DataFrame, sources: list[str], codes: list[str], coders: list[str]
) -> tuple[IntArray, IntArray, IntArray]:
    src = _positions(sources, used["source"].astype(str)).astype(np.int64)
    code = _positions(codes, used["code"].astype(str)).astype(np.int64)
    coder = _positions(coders, used["coder"].astype(str)).astype(np.int64)
    return src, code, coder


def _character_counts(
    used: pd.DataFrame,
    sources: list[str],
    src_len: IntArray,
    codes: list[str],
    coders: list[str],
) -> IntArray:
    """counts[source, code, pattern]: characters whose coder decisions form ``pattern``.

    Bit j of a pattern is set when coder j applied the code. Pattern 0 is left at 0 for the
    caller to fill from the number of units.
    """
    n_src, n_code, m = len(sources), len(codes), len(coders)
    n_pat = 1 << m
    counts = np.zeros((n_src, n_code, n_pat), dtype=np.int64)
    if used.empty:
        return counts
    src, code, coder = _indices(used, sources, codes, coders)
    offsets = np.r_[0, np.cumsum(src_len)[:-1]].astype(np.int64)
    total = int(src_len.sum())
    shift = total + 1
    start = offsets[src] + used["start"].to_numpy(dtype=np.int64)
    end = offsets[src] + used["end"].to_numpy(dtype=np.int64)
    group, ms, me = merge_intervals(code * m + coder, start, end, shift)
    m_code, m_coder = group // m, group % m
    keys = np.concatenate([m_code * shift + ms, m_code * shift + me])
    bit = np.left_shift(np.int64(1), m_coder)
    delta = np.concatenate([bit, -bit])
    order = np.argsort(keys, kind="stable")
    keys, delta = keys[order], delta[order]
    pattern = np.cumsum(delta)[:-1]
    length = np.diff(keys)
    keep = (pattern > 0) & (length > 0)
    run_key, run_len, run_pat = keys[:-1][keep], length[keep], pattern[keep]
    run_code = run_key // shift
    run_src = np.searchsorted(offsets, run_key - run_code * shift, side="right") - 1
    flat = (run_src * n_code + run_code) * n_pat + run_pat
    counts += (
        np.bincount(flat, weights=run_len, minlength=counts.size)
        .astype(np.int64)
        .reshape(counts.shape)
    )
    return counts


def _union_lengths(used: pd.DataFrame, sources: list[str], src_len: IntArray) -> IntArray:
    """Characters of each source inside any chosen coding (of any chosen code and coder)."""
    if used.empty:
        return np.zeros(len(sources), dtype=np.int64)
    src = _positions(sources, used["source"].astype(str)).astype(np.int64)
    group, ms, me = merge_intervals(
        src,
        used["start"].to_numpy(dtype=np.int64),
        used["end"].to_numpy(dtype=np.int64),
        int(src_len.max()) + 1,
    )
    return np.bincount(group, weights=me - ms, minlength=len(sources)).astype(np.int64)


def _segment_units(segments: pd.DataFrame, sources: list[str]) -> pd.DataFrame:
    units = segments[segments["source"].astype(str).isin(sources)]
    missing = sorted(set(sources) - set(units["source"].astype(str)))
    if missing:
        raise QualAnalysisError(
            [
                f"source {s} has no speaker turns in the segments frame "
                "(use unit 'sentence' or 'character')"
                for s in missing
            ]
        )
    return pd.DataFrame(
        {
            "source": units["source"].astype(str).to_numpy(),
            "start": units["start"].to_numpy(dtype=np.int64),
            "end": units["end"].to_numpy(dtype=np.int64),
        }
    )


def _sentence_units(sources: pd.DataFrame, chosen: list[str]) -> pd.DataFrame:
    """Sentences of each chosen source (regex over the text; one row per sentence)."""
    text = dict(zip(sources["source"].astype(str), sources["text"].astype(str), strict=True))
    rows = [
        (s, match.start(), match.end()) for s in chosen for match in _SENTENCE.finditer(text[s])
    ]
    return pd.DataFrame(rows, columns=["source", "start", "end"]).astype(
        {"source": object, "start": np.int64, "end": np.int64}
    )


def _unit_counts(
    used: pd.DataFrame,
    units: pd.DataFrame,
    sources: list[str],
    src_len: IntArray,
    codes: list[str],
    coders: list[str],
    uncoded: Uncoded,
) -> tuple[IntArray, int]:
    """counts[source, code, pattern] over segment or sentence units (any-overlap rule)."""
    n_src, n_code, m = len(sources), len(codes), len(coders)
    n_pat = 1 << m
    u_src = _positions(sources, units["source"]).astype(np.int64)
    offsets = np.r_[0, np.cumsum(src_len)[:-1]].astype(np.int64)
    a = offsets[u_src] + units["start"].to_numpy(dtype=np.int64)
    b = offsets[u_src] + units["end"].to_numpy(dtype=np.int64)
    shift = int(src_len.sum()) + 1
    patterns = np.zeros((a.size, n_code), dtype=np.int64)
    if not used.empty:
        src, code, coder = _indices(used, sources, codes, coders)
        start = offsets[src] + used["start"].to_numpy(dtype=np.int64)
        end = offsets[src] + used["end"].to_numpy(dtype=np.int64)
        group, ms, me = merge_intervals(code * m + coder, start, end, shift)
        s_all, e_all = group * shift + ms, group * shift + me
        for g in np.unique(group):
            # the first merged interval of group g ending after a unit's start overlaps the
            # unit when it starts before the unit's end
            qa, qb = g * shift + a, g * shift + b
            j = np.searchsorted(e_all, qa, side="right")
            inside = j < e_all.size
            hit = np.zeros(a.size, dtype=bool)
            hit[inside] = s_all[j[inside]] < qb[inside]
            patterns[hit, g // m] |= 1 << int(g % m)
    if uncoded == "exclude":
        keep = patterns.any(axis=1)
        patterns, u_src = patterns[keep], u_src[keep]
    flat = (u_src[:, np.newaxis] * n_code + np.arange(n_code)) * n_pat + patterns
    counts = np.bincount(flat.ravel(), minlength=n_src * n_code * n_pat).astype(np.int64)
    return counts.reshape(n_src, n_code, n_pat), int(patterns.shape[0])


def _pattern_value_counts(m: int) -> FloatArray:
    """Row p: [coders who did not apply the code, coders who did] for pattern p."""
    ones = np.array([bin(p).count("1") for p in range(1 << m)], dtype=np.float64)
    return np.column_stack([m - ones, ones])


def _statistics(weights: IntArray, m: int, n_units: int) -> CodeAgreement:
    """Statistics from pattern counts (index = bit pattern of the coders' decisions)."""
    total = int(weights.sum())
    reasons: list[str] = []
    if total == 0:
        reason = "no units to compare"
        return CodeAgreement(None, None, None, n_units, (reason,))
    all_on = (1 << m) - 1
    percent = float((weights[0] + weights[all_on]) / total * 100.0)
    alpha = alpha_from_value_counts(_pattern_value_counts(m), weights)
    if alpha is None:
        reasons.append(
            "Krippendorff's alpha undefined: no variation (every coder made the same decision "
            "on every unit)"
        )
    kappa: float | None = None
    if m != 2:
        reasons.append("Cohen's kappa is for two coders")
    elif weights[0] == total or weights[3] == total:
        reasons.append(
            "Cohen's kappa undefined: both coders made one and the same decision throughout"
        )
    else:
        kappa = float(
            cohen_kappa_score(
                [0, 1, 0, 1], [0, 0, 1, 1], labels=[0, 1], sample_weight=weights.astype(float)
            )
        )
    return CodeAgreement(percent, kappa, alpha, n_units, tuple(reasons))


def _bootstrap(
    pooled_sp: IntArray, m: int, n_resamples: int, seed: int, resample: Resample
) -> tuple[tuple[float, float] | None, str]:
    """Percentile 95% interval of the overall alpha over resampled units or sources."""
    if n_resamples == 0:
        return None, "no resamples asked for"
    total = pooled_sp.sum(axis=0)
    if total.sum() == 0 or alpha_from_value_counts(_pattern_value_counts(m), total) is None:
        return None, "alpha undefined on the data, so no interval"
    rng = np.random.default_rng(seed)
    if resample == "unit":
        draws = rng.multinomial(int(total.sum()), total / total.sum(), size=n_resamples)
        note = (
            "units resampled as if independent; neighbouring characters and the codes of one unit "
            "are not, so this interval is narrower than the uncertainty across texts"
        )
    else:
        n_src = pooled_sp.shape[0]
        picks = rng.integers(0, n_src, size=(n_resamples, n_src))
        draws = pooled_sp[picks].sum(axis=1)
        note = f"whole sources resampled ({n_src} sources)"
    alphas = _alpha_many(_pattern_value_counts(m), draws.astype(np.float64))
    defined = alphas[~np.isnan(alphas)]
    if defined.size < n_resamples:
        note += f"; {n_resamples - defined.size} resamples had no variation and were left out"
    if defined.size == 0:
        return None, note
    low, high = np.percentile(defined, [2.5, 97.5])
    return (float(low), float(high)), note
