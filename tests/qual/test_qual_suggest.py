"""Offline suggestions: TF-IDF key phrases and similarity checked by hand, groupings checked
on a corpus with two topics that share no words, determinism, and that every result is only a
suggestion.

TF-IDF as scikit-learn defines it (smooth idf, sublinear tf, l2 rows; scikit-learn user guide,
"Tf-idf term weighting"): idf(t) = ln((1 + n) / (1 + df(t))) + 1, tf' = 1 + ln(tf)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from tests.qual import frames_factory as ff

from balm.qual.analysis_errors import QualAnalysisError
from balm.qual.suggest import group_passages, key_phrases, passages, similar_passages


def test_key_phrases_hand_worked() -> None:
    # D1 "pain pain group", D2 "group kindness"; n = 2.
    # idf: pain, kindness (df 1) = ln(3/2) + 1 = 1.405465; group (df 2) = ln(3/3) + 1 = 1.
    # D1: pain (1 + ln 2) * 1.405465 = 2.379660, group 1; norm 2.581237 -> pain 0.921907.
    # D2: kindness 1.405465, group 1; norm 1.724915 -> kindness 0.814802.
    sources = ff.sources(
        [
            ("S1", "P01", "interview", "pain pain group"),
            ("S2", "P02", "interview", "group kindness"),
        ]
    )
    found = key_phrases(sources, ngram_range=(1, 1))
    assert [s.label_terms for s in found] == [("pain", "group"), ("kindness", "group")]
    pain = (1 + math.log(2)) * (math.log(1.5) + 1)
    assert found[0].score == pytest.approx(pain / math.hypot(pain, 1.0))
    assert found[1].score == pytest.approx(0.814802, abs=1e-5)
    assert all(s.kind == "key_phrases" and s.status == "suggested" for s in found)
    assert found[0].members == ("S1",)


def test_key_phrases_drop_english_stop_words_and_keep_ngrams() -> None:
    sources = ff.sources(
        [
            ("S1", None, "feedback", "the breathing exercise was the best part"),
            ("S2", None, "feedback", "the group was kind"),
        ]
    )
    found = key_phrases(sources, top_n=20)
    terms = set(found[0].label_terms)
    assert "the" not in terms and "was" not in terms
    assert "breathing exercise" in terms


def test_similar_passages_hand_worked() -> None:
    # P1 "pain pain group", P2 "group kindness", P3 "breathing calm"; n = 3.
    # idf(df 1) = ln(4/2) + 1 = 1.693147; idf(group, df 2) = ln(4/3) + 1 = 1.287682.
    # P1: pain 1.693147^2 = 2.866747, group 1.287682 -> unit vector group 0.409746.
    # P2: group 1.287682, kindness 1.693147 -> unit vector group 0.605351.
    # cos(P1, P2) = 0.409746 * 0.605351 = 0.248040; cos(P1, P3) = 0 (left out).
    frame = pd.DataFrame(
        {
            "passage": ["p1", "p2", "p3"],
            "source": "S1",
            "start": 0,
            "end": 1,
            "text": ["pain pain group", "group kindness", "breathing calm"],
        }
    )
    found = similar_passages(frame, "p1", ngram_range=(1, 1))
    assert [s.members for s in found] == [("p2",)]
    assert found[0].score == pytest.approx(0.248040, abs=1e-5)
    assert found[0].label_terms == ("group",)
    with pytest.raises(QualAnalysisError, match="passage 'p9'"):
        similar_passages(frame, "p9")


def _two_topics() -> pd.DataFrame:
    pain = [
        "flare medication tablets",
        "medication dose flare night",
        "tablets dose night flare",
        "flare night medication",
        "dose tablets medication",
    ]
    kind = [
        "compassion kindness group",
        "group warmth compassion friends",
        "kindness friends warmth",
        "compassion group friends",
        "warmth kindness compassion",
    ]
    text = " \n".join(pain + kind)
    starts, pos = [], 0
    for t in pain + kind:
        starts.append(pos)
        pos += len(t) + 2
    sources = ff.sources([("S1", "P01", "interview", text)])
    spans = zip(starts, pain + kind, strict=True)
    segments = ff.segments([("S1", s, s + len(t), None) for s, t in spans])
    return passages(sources, segments=segments)


@pytest.mark.parametrize("method", ["nmf", "kmeans"])
def test_groupings_split_two_disjoint_topics_and_are_seeded(method: str) -> None:
    frame = _two_topics()
    assert frame["text"].iloc[0] == "flare medication tablets"
    groups = group_passages(frame, n_groups=2, method=method, seed=3)  # type: ignore[arg-type]
    again = group_passages(frame, n_groups=2, method=method, seed=3)  # type: ignore[arg-type]
    assert groups == again
    ids = frame["passage"].tolist()
    memberships = sorted(sorted(g.members) for g in groups)
    assert memberships == sorted([sorted(ids[:5]), sorted(ids[5:])])
    for g in groups:
        assert g.kind == "grouping" and g.status == "suggested"
        topic = set(" ".join(frame.set_index("passage").loc[list(g.members), "text"]).split())
        assert {word for term in g.label_terms for word in term.split()} <= topic


def test_passages_from_codings_and_bad_requests() -> None:
    sources = ff.sources([("S1", "P01", "interview", "abc def")])
    codings = ff.codings([("S1", 4, 7, "X", "A")])
    frame = passages(sources, codings=codings)
    assert frame.to_dict(orient="records") == [
        {"passage": "k1", "source": "S1", "start": 4, "end": 7, "text": "def"}
    ]
    with pytest.raises(QualAnalysisError, match="either the segments or the codings"):
        passages(sources)
    with pytest.raises(QualAnalysisError, match="as many passages"):
        group_passages(frame, n_groups=2)
    blank = ff.sources([("S1", None, "other", "the and of")])
    with pytest.raises(QualAnalysisError, match="no words"):
        key_phrases(blank)


def test_turns_leave_out_speaker_labels_and_skipped_speakers() -> None:
    # "Interviewer: How was it?" is [0, 24); then "\n"; "P01: I didn't cope, then breathing
    # helped." starts at 25 and is 42 characters long, so it is [25, 67).
    text = "Interviewer: How was it?\nP01: I didn't cope, then breathing helped."
    sources = ff.sources([("S1", "P01", "interview", text)])
    segments = ff.segments([("S1", 0, 24, "Interviewer"), ("S1", 25, 67, "P01")])
    frame = passages(sources, segments=segments, skip_speakers=["Interviewer"])
    assert frame[["passage", "text"]].to_dict(orient="records") == [
        {"passage": "S1:25-67", "text": "I didn't cope, then breathing helped."}
    ]
    # Key phrases from the same turns: no speaker name, no interviewer words, and not the
    # "didn" half of "didn't" that the tokeniser splits off.
    (found,) = key_phrases(
        sources, ngram_range=(1, 1), segments=segments, skip_speakers=["Interviewer"]
    )
    assert set(found.label_terms) == {"cope", "breathing", "helped"}
    (plain,) = key_phrases(sources, ngram_range=(1, 1))
    assert {"interviewer", "p01"} <= set(plain.label_terms)
    assert "didn" not in plain.label_terms
