"""Agreement between coders: hand-worked cases, Krippendorff's published examples, and
cross-checks of the interval painting against scikit-learn and the krippendorff package run
on explicit character-by-character matrices."""

from __future__ import annotations

import json
import math

import krippendorff
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from tests.qual import frames_factory as ff

from balm.qual.agreement import agreement, alpha_from_value_counts
from balm.qual.analysis_errors import QualAnalysisError

CODES = ff.codes([("X", "Pain", None), ("Y", "Kindness", None), ("Z", "Unused", None)])


def _one_source() -> tuple:
    sources = ff.sources([("S1", "P01", "interview", "abcdefghij")])
    return sources


def test_character_two_coders_one_code_hand_worked() -> None:
    # Text of 10 characters. A codes X on 0-4 (with two overlapping codings 0-3 and 2-4, which
    # must count once), B codes X on 2-6.
    # both: chars 2,3 (2); A only: 0,1 (2); B only: 4,5 (2); neither: 6-9 (4).
    # percent = (2 + 4) / 10 = 60 %.
    # kappa: p_o = 0.6; each coder says yes to 4/10; p_e = 0.4*0.4 + 0.6*0.6 = 0.52;
    #   kappa = (0.6 - 0.52) / (1 - 0.52) = 1/6.
    # alpha (Krippendorff 2011, binary): n_1 = 8, n_0 = 12, n = 20, o_01 = 4 mismatched units;
    #   alpha = 1 - (n - 1) o_01 / (n_0 n_1) = 1 - 19*4/96 = 20/96.
    codings = ff.codings([("S1", 0, 3, "X", "A"), ("S1", 2, 4, "X", "A"), ("S1", 2, 6, "X", "B")])
    result = agreement(_one_source(), CODES, codings, n_resamples=0)
    pain = result.codes["Pain"]
    assert pain.percent_agreement == pytest.approx(60.0)
    assert pain.cohen_kappa == pytest.approx(1 / 6)
    assert pain.krippendorff_alpha == pytest.approx(20 / 96)
    assert result.n_units == 10
    assert list(result.codes) == ["Pain"]


def test_uncoded_text_excluded_hand_worked() -> None:
    # Same coding, uncoded="exclude": only chars 0-5 (coded by someone) are units.
    # both 2, A only 2, B only 2. percent = 2/6.
    # kappa: p_o = 1/3; each says yes to 4/6; p_e = 4/9 + 1/9 = 5/9; kappa = (3/9-5/9)/(4/9) = -0.5.
    # alpha: n_1 = 8, n_0 = 4, n = 12, o_01 = 4: 1 - 11*4/(4*8) = -0.375.
    codings = ff.codings([("S1", 0, 4, "X", "A"), ("S1", 2, 6, "X", "B")])
    result = agreement(_one_source(), CODES, codings, uncoded="exclude", n_resamples=0)
    pain = result.codes["Pain"]
    assert pain.percent_agreement == pytest.approx(100 / 3)
    assert pain.cohen_kappa == pytest.approx(-0.5)
    assert pain.krippendorff_alpha == pytest.approx(-0.375)
    assert result.to_json()["details"]["uncoded"] == "exclude"


def test_overall_pools_codes_hand_worked() -> None:
    # X as above; Y coded 6-8 by both. Y alone: perfect (percent 100, kappa 1, alpha 1).
    # Pooled over 2 codes x 10 chars = 20 units: both 2+2 = 4, A only 2, B only 2, neither 12.
    # percent = 16/20 = 80 %. kappa: yes rate 6/20 each; p_e = 0.09 + 0.49 = 0.58;
    #   kappa = (0.8 - 0.58) / 0.42 = 11/21.
    # alpha: n_1 = 12, n_0 = 28, n = 40, o_01 = 4: 1 - 39*4/(28*12) = 180/336.
    codings = ff.codings(
        [
            ("S1", 0, 4, "X", "A"),
            ("S1", 2, 6, "X", "B"),
            ("S1", 6, 8, "Y", "A"),
            ("S1", 6, 8, "Y", "B"),
        ]
    )
    result = agreement(_one_source(), CODES, codings, n_resamples=0)
    kind = result.codes["Kindness"]
    assert (kind.percent_agreement, kind.cohen_kappa, kind.krippendorff_alpha) == (100.0, 1.0, 1.0)
    assert result.overall.percent_agreement == pytest.approx(80.0)
    assert result.overall.cohen_kappa == pytest.approx(11 / 21)
    assert result.overall.krippendorff_alpha == pytest.approx(180 / 336)
    data = result.to_json()
    assert set(data) == {"unit", "coders", "overall", "codes", "details"}
    assert set(data["overall"]) == {
        "percent_agreement",
        "cohen_kappa",
        "krippendorff_alpha",
        "alpha_ci",
    }
    assert data["coders"] == ["A", "B"]
    assert data["unit"] == "character"


def test_two_sources_offsets_hand_worked() -> None:
    # S1 (10 chars) as in the first test; S2 (5 chars): A codes X 0-5, B codes X 3-5.
    # X over 15 chars: both 2+2 = 4, A only 2+3 = 5, B only 2, neither 4.
    # percent = 8/15. kappa: A yes 9/15, B yes 6/15; p_e = .6*.4 + .4*.6 = .48;
    #   kappa = (8/15 - 12/25) / (13/25) = 4/39.
    # alpha: n_1 = 15, n_0 = 15, n = 30, o_01 = 7: 1 - 29*7/225 = 22/225.
    sources = ff.sources(
        [("S1", "P01", "interview", "abcdefghij"), ("S2", "P02", "interview", "klmno")]
    )
    codings = ff.codings(
        [
            ("S1", 0, 4, "X", "A"),
            ("S1", 2, 6, "X", "B"),
            ("S2", 0, 5, "X", "A"),
            ("S2", 3, 5, "X", "B"),
        ]
    )
    result = agreement(sources, CODES, codings, n_resamples=0)
    pain = result.codes["Pain"]
    assert pain.percent_agreement == pytest.approx(800 / 15)
    assert pain.cohen_kappa == pytest.approx(4 / 39)
    assert pain.krippendorff_alpha == pytest.approx(22 / 225)
    # a chosen subset: S2 alone (both 2, A only 3): percent 40 %
    only_s2 = agreement(sources, CODES, codings, source_ids=["S2"], n_resamples=0)
    assert only_s2.codes["Pain"].percent_agreement == pytest.approx(40.0)
    assert only_s2.n_units == 5


def test_three_coders_hand_worked() -> None:
    # "abcd"; X: A 0-2, B 0-1, C 0-2. Units: c0 (1,1,1), c1 (1,0,1), c2 and c3 (0,0,0).
    # percent (all coders agree) = 3/4.
    # coincidences (m_u = 3): c1 gives o_01 = 1*2/2 = 1; o_00 = 3 + 3 (c2, c3); o_11 = 3 (c0)
    #   + 1 (c1); n_0 = 7, n_1 = 5, n = 12; alpha = 1 - 11*1/(7*5) = 24/35.
    sources = ff.sources([("S1", None, "feedback", "abcd")])
    codings = ff.codings([("S1", 0, 2, "X", "A"), ("S1", 0, 1, "X", "B"), ("S1", 0, 2, "X", "C")])
    result = agreement(sources, CODES, codings, n_resamples=0)
    pain = result.codes["Pain"]
    assert pain.percent_agreement == pytest.approx(75.0)
    assert pain.krippendorff_alpha == pytest.approx(24 / 35)
    assert pain.cohen_kappa is None
    assert "Cohen's kappa is for two coders" in pain.undefined
    assert result.to_json()["overall"]["cohen_kappa"] is None


def test_segment_unit_any_overlap_hand_worked() -> None:
    # Turns 0-4, 5-9, 10-14. A codes X 2-6 (touches turns 1 and 2), B codes X 6-7 (turn 2).
    # turn1: A yes B no; turn2: both; turn3: neither. percent = 2/3.
    # kappa: A yes 2/3, B yes 1/3; p_e = 2/9 + 2/9 = 4/9; kappa = (6/9-4/9)/(5/9) = 0.4.
    # alpha: n_1 = 3, n_0 = 3, n = 6, o_01 = 1: 1 - 5/9 = 4/9.
    sources = ff.sources([("S1", "P01", "interview", "aaaa bbbb cccc")])
    segments = ff.segments([("S1", 0, 4, "I"), ("S1", 5, 9, "P01"), ("S1", 10, 14, "I")])
    codings = ff.codings([("S1", 2, 6, "X", "A"), ("S1", 6, 7, "X", "B")])
    result = agreement(sources, CODES, codings, segments, unit="segment", n_resamples=0)
    pain = result.codes["Pain"]
    assert result.n_units == 3
    assert pain.percent_agreement == pytest.approx(200 / 3)
    assert pain.cohen_kappa == pytest.approx(0.4)
    assert pain.krippendorff_alpha == pytest.approx(4 / 9)
    # exclude: turn 3 (nobody coded) drops; 2 units: A yes/B no, both yes; percent 50 %
    excl = agreement(
        sources, CODES, codings, segments, unit="segment", uncoded="exclude", n_resamples=0
    )
    assert excl.n_units == 2
    assert excl.codes["Pain"].percent_agreement == pytest.approx(50.0)


def test_sentence_unit_hand_worked() -> None:
    # "I hurt. It helps!\nYes" -> sentences 0-7, 8-17, 18-21.
    # A codes X 0-3 (sentence 1) and 19-20 (sentence 3); B codes X 4-10 (sentences 1 and 2).
    # s1 both, s2 B only, s3 A only. percent 1/3.
    sources = ff.sources([("S1", "P01", "interview", "I hurt. It helps!\nYes")])
    codings = ff.codings(
        [("S1", 0, 3, "X", "A"), ("S1", 19, 20, "X", "A"), ("S1", 4, 10, "X", "B")]
    )
    result = agreement(sources, CODES, codings, unit="sentence", n_resamples=0)
    assert result.n_units == 3
    assert result.codes["Pain"].percent_agreement == pytest.approx(100 / 3)


def test_no_variation_gives_none_with_reason() -> None:
    # Code Z chosen but applied by nobody: every unit "absent" for both coders.
    codings = ff.codings([("S1", 0, 4, "X", "A"), ("S1", 2, 6, "X", "B")])
    result = agreement(_one_source(), CODES, codings, code_ids=["Z"], n_resamples=200)
    unused = result.codes["Unused"]
    assert unused.percent_agreement == 100.0
    assert unused.krippendorff_alpha is None and unused.cohen_kappa is None
    assert any("no variation" in r for r in unused.undefined)
    assert result.alpha_ci is None
    assert result.to_json()["overall"]["alpha_ci"] is None


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    codings = ff.codings(
        [
            ("S1", 0, 4, "X", "A"),
            ("S1", 2, 6, "X", "B"),
            ("S1", 6, 8, "Y", "A"),
            ("S1", 6, 8, "Y", "B"),
        ]
    )
    one = agreement(_one_source(), CODES, codings, n_resamples=500, seed=7)
    two = agreement(_one_source(), CODES, codings, n_resamples=500, seed=7)
    assert one.alpha_ci == two.alpha_ci
    assert one.alpha_ci is not None
    low, high = one.alpha_ci
    assert low <= (one.overall.krippendorff_alpha or math.nan) <= high
    assert "500 resamples" in one.to_json()["details"]["alpha_ci_method"]


def test_bootstrap_by_source() -> None:
    sources = ff.sources(
        [("S1", "P01", "interview", "abcdefghij"), ("S2", "P02", "interview", "klmno")]
    )
    codings = ff.codings(
        [
            ("S1", 0, 4, "X", "A"),
            ("S1", 2, 6, "X", "B"),
            ("S2", 0, 5, "X", "A"),
            ("S2", 0, 5, "X", "B"),
        ]
    )
    result = agreement(sources, CODES, codings, n_resamples=300, resample="source")
    assert result.alpha_ci is not None
    assert "whole sources" in result.ci_note


def test_bad_input_lists_every_problem() -> None:
    codings = ff.codings([("S1", 0, 40, "X", "A"), ("S9", 0, 2, "X", "B"), ("S1", 3, 3, "Q", "B")])
    with pytest.raises(QualAnalysisError) as caught:
        agreement(_one_source(), CODES, codings, coders=["A", "Nobody"])
    text = str(caught.value)
    assert "coding k1: span 0-40" in text
    assert "coding k2: source S9" in text
    assert "coding k3: span 3-3" in text
    assert "code Q is not in the codes frame" in text
    assert "coder 'Nobody'" in text


def test_one_coder_is_refused() -> None:
    codings = ff.codings([("S1", 0, 4, "X", "A")])
    with pytest.raises(QualAnalysisError, match="two or more coders"):
        agreement(_one_source(), CODES, codings)


def test_krippendorff_2011_binary_example() -> None:
    # Krippendorff K (2011) Computing Krippendorff's alpha-reliability, section A (binary data,
    # two observers, no missing data): 10 units.
    # A: 0 1 0 0 0 0 0 0 1 0;  B: 1 1 1 0 0 1 0 0 0 0.
    # Coincidences: o_00 = 10, o_11 = 2, o_01 = o_10 = 4; n_0 = 14, n_1 = 6, n = 20;
    # alpha = 1 - (n - 1) o_01 / (n_0 n_1) = 1 - 19*4/84 = 0.0952 (the paper prints 0.095).
    a = np.array([0, 1, 0, 0, 0, 0, 0, 0, 1, 0])
    b = np.array([1, 1, 1, 0, 0, 1, 0, 0, 0, 0])
    value_counts = np.column_stack(
        [(a == 0).astype(int) + (b == 0), (a == 1).astype(int) + (b == 1)]
    )
    assert alpha_from_value_counts(value_counts) == pytest.approx(1 - 76 / 84)
    assert round(alpha_from_value_counts(value_counts) or 0, 3) == 0.095
    assert krippendorff.alpha(np.vstack([a, b]), level_of_measurement="nominal") == pytest.approx(
        1 - 76 / 84
    )


def test_krippendorff_2011_nominal_example_with_missing_data() -> None:
    # Krippendorff K (2011), section C: nominal data, four observers, 12 units, missing data;
    # the paper reports alpha = 0.743. (Also the example the krippendorff package documents.)
    nan = np.nan
    data = np.array(
        [
            [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
            [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
        ]
    )
    values = np.array([1, 2, 3, 4, 5])
    value_counts = (data.T[:, :, np.newaxis] == values).sum(axis=1)
    ours = alpha_from_value_counts(value_counts)
    assert ours is not None and round(ours, 3) == 0.743
    assert ours == pytest.approx(krippendorff.alpha(data, level_of_measurement="nominal"))


def test_weighted_alpha_matches_krippendorff_on_expanded_rows() -> None:
    rng = np.random.default_rng(3)
    value_counts = rng.integers(0, 3, size=(12, 3))
    value_counts[0] = [2, 0, 0]
    weights = rng.integers(1, 5, size=12)
    expanded = np.repeat(value_counts, weights, axis=0)
    expected = krippendorff.alpha(value_counts=expanded, level_of_measurement="nominal")
    assert alpha_from_value_counts(value_counts, weights) == pytest.approx(expected)


spans = st.lists(
    st.tuples(
        st.sampled_from(["S1", "S2"]),
        st.integers(0, 29),
        st.integers(1, 12),
        st.sampled_from(["X", "Y"]),
        st.sampled_from(["A", "B"]),
    ),
    min_size=2,
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(spans)
def test_painting_matches_explicit_character_matrices(rows: list) -> None:
    # Build the per-character decisions explicitly (a Python loop, fine at 50 characters) and
    # compare with sklearn's kappa and the krippendorff package on the stacked code x char matrix.
    texts = {"S1": "x" * 30, "S2": "y" * 20}
    rows = [(s, a, min(a + n, len(texts[s])), c, w) for s, a, n, c, w in rows if a < len(texts[s])]
    coders_present = {r[4] for r in rows}
    sources_by_both = {s for s in texts if {r[4] for r in rows if r[0] == s} == {"A", "B"}}
    assume(coders_present == {"A", "B"} and bool(sources_by_both))
    order = [s for s in texts if s in sources_by_both]
    codes_used = [c for c in ["X", "Y"] if any(r[3] == c and r[0] in order for r in rows)]
    mats = {
        w: {c: {s: np.zeros(len(texts[s]), int) for s in order} for c in codes_used} for w in "AB"
    }
    for s, a, b, c, w in rows:
        if s in order and c in codes_used:
            mats[w][c][s][a:b] = 1
    stacked = {w: np.concatenate([mats[w][c][s] for c in codes_used for s in order]) for w in "AB"}
    result = agreement(
        ff.sources([(s, None, "other", t) for s, t in texts.items()]),
        CODES,
        ff.codings(rows),
        n_resamples=0,
    )
    a, b = stacked["A"], stacked["B"]
    assert result.overall.percent_agreement == pytest.approx((a == b).mean() * 100)
    if len(set(a) | set(b)) > 1:
        assert result.overall.krippendorff_alpha == pytest.approx(
            krippendorff.alpha(np.vstack([a, b]), level_of_measurement="nominal")
        )
    if not ((a == 0).all() and (b == 0).all()) and not ((a == 1).all() and (b == 1).all()):
        assert result.overall.cohen_kappa == pytest.approx(cohen_kappa_score(a, b))


def test_json_is_serialisable_and_names_the_rules() -> None:
    codings = ff.codings(
        [
            ("S1", 0, 4, "X", "A"),
            ("S1", 2, 6, "X", "B"),
            ("S1", 6, 8, "Y", "A"),
            ("S1", 6, 8, "Y", "B"),
        ]
    )
    data = json.loads(json.dumps(agreement(_one_source(), CODES, codings).to_json()))
    assert data["details"]["n_units"] == 10
    assert "NVivo" in data["details"]["uncoded_rule"]
    assert len(data["overall"]["alpha_ci"]) == 2


turn_spans = st.lists(
    st.tuples(
        st.integers(0, 39),
        st.integers(1, 15),
        st.sampled_from(["X", "Y"]),
        st.sampled_from(["A", "B", "C"]),
    ),
    min_size=3,
    max_size=14,
)


@settings(max_examples=60, deadline=None)
@given(turn_spans, st.sampled_from(["agree", "exclude"]))
def test_turns_match_explicit_unit_matrix_three_coders(rows: list, uncoded: str) -> None:
    # Four turns 0-10, 10-20, 20-30, 30-40 of a 40-character text. Explicit rule: a coder
    # applied a code to a turn if a coding of theirs with that code overlaps it by a character.
    turns = [(0, 10), (10, 20), (20, 30), (30, 40)]
    rows = [(a, min(a + n, 40), c, w) for a, n, c, w in rows]
    assume({r[3] for r in rows} == {"A", "B", "C"})
    codes_used = [c for c in ["X", "Y"] if any(r[2] == c for r in rows)]
    decided = {
        (w, c, t): int(any(r[3] == w and r[2] == c and r[0] < b and a < r[1] for r in rows))
        for w in "ABC"
        for c in codes_used
        for t, (a, b) in enumerate(turns)
    }
    kept = [
        t
        for t in range(4)
        if uncoded == "agree" or any(decided[(w, c, t)] for w in "ABC" for c in codes_used)
    ]
    matrix = np.array([[decided[(w, c, t)] for c in codes_used for t in kept] for w in "ABC"])
    result = agreement(
        ff.sources([("S1", None, "interview", "t" * 40)]),
        CODES,
        ff.codings([("S1", a, b, c, w) for a, b, c, w in rows]),
        ff.segments([("S1", a, b, None) for a, b in turns]),
        unit="segment",
        uncoded=uncoded,  # type: ignore[arg-type]
        n_resamples=0,
    )
    assert result.n_units == len(kept)
    all_agree = (matrix == matrix[0]).all(axis=0)
    assert result.overall.percent_agreement == pytest.approx(all_agree.mean() * 100)
    if len(np.unique(matrix)) > 1:
        assert result.overall.krippendorff_alpha == pytest.approx(
            krippendorff.alpha(matrix, level_of_measurement="nominal")
        )
    else:
        assert result.overall.krippendorff_alpha is None
