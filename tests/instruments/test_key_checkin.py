"""Scoring key of balm's own weekly check-in (catalogue file checkin.yaml; the four 0-10
ratings follow the regulation targets mood, outlook, acceptance and level of comfort named
in the Gooding, Stedmon & Crix 2020 summary). Each scale is its single item as answered;
minutes of practice are whole numbers 0-1440; q7 and q8 are free text and never scored."""

import pandas as pd
import pytest

from balm.instruments import ResponseValidationError, score, score_one

SCALES = ["mood", "outlook", "acceptance", "comfort", "pain", "practice_minutes"]


def answers(values: list[object]) -> dict[str, object]:
    return {f"q{number}": value for number, value in enumerate(values, start=1)}


def test_all_minimum() -> None:
    """balm check-in: every rating 0 and no practice gives 0 on every scale."""
    result = score_one("checkin", answers([0, 0, 0, 0, 0, 0, "", ""]))
    assert result == dict.fromkeys(SCALES, 0)


def test_all_maximum() -> None:
    """balm check-in: ratings 10 and a full day (1440 minutes) of practice."""
    result = score_one("checkin", answers([10, 10, 10, 10, 10, 1440, "breathing", "note"]))
    assert result == {**dict.fromkeys(SCALES[:5], 10), "practice_minutes": 1440}


def test_mixed_response_by_hand() -> None:
    """balm check-in: each scale is its own item (q1 mood .. q6 minutes), unchanged;
    pain (q5) is higher-worse but is stored as answered, not flipped.

    q1 6, q2 4, q3 7, q4 5, q5 8, q6 25 -> mood 6, outlook 4, acceptance 7, comfort 5,
    pain 8, practice_minutes 25
    """
    result = score_one("checkin", answers([6, 4, 7, 5, 8, 25, "safe place", "Hard week."]))
    assert result == {
        "mood": 6,
        "outlook": 4,
        "acceptance": 7,
        "comfort": 5,
        "pain": 8,
        "practice_minutes": 25,
    }


def test_blank_optional_note_and_practice_are_fine() -> None:
    """balm check-in: q8 (note) is optional and q7 free text; blanks there change nothing."""
    row = answers([5, 5, 5, 5, 5, 0, None, "   "])
    assert score_one("checkin", row) == {**dict.fromkeys(SCALES[:5], 5), "practice_minutes": 0}


def test_a_blank_rating_leaves_only_its_scale_missing() -> None:
    """balm check-in: a single item cannot be prorated; a blank mood is missing, not 0."""
    result = score("checkin", pd.DataFrame([answers([None, 3, 3, 3, 3, 10, "", ""])]))
    assert result.scores["mood"].isna().all()
    assert result.scores["outlook"].tolist() == [3]
    assert result.not_computed["mood"].tolist() == [True]


@pytest.mark.parametrize("minutes", [12.5, "ten", 1441, -5])
def test_minutes_must_be_a_whole_number_from_0_to_1440(minutes: object) -> None:
    """balm check-in: q6 is an integer item 0-1440 (minutes in a day)."""
    with pytest.raises(ResponseValidationError) as caught:
        score_one("checkin", answers([5, 5, 5, 5, 5, minutes, "", ""]))
    assert [problem.column for problem in caught.value.problems] == ["q6"]


@pytest.mark.parametrize("bad", [11, -1, 6.5])
def test_out_of_range_rating_is_refused(bad: float) -> None:
    """balm check-in: ratings are whole numbers 0-10."""
    with pytest.raises(ResponseValidationError):
        score_one("checkin", answers([5, 5, bad, 5, 5, 0, "", ""]))


def test_unknown_item_is_refused() -> None:
    """balm check-in has items q1-q8 only."""
    with pytest.raises(ResponseValidationError):
        score_one("checkin", {**answers([5] * 6), "q9": 1})
