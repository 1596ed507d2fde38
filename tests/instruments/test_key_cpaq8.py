"""CPAQ-8 scoring key: four engagement items + four reversed willingness items.

Key source: Fish, McGuire, Hogan, Morrison & Stewart 2010 (4 + 4 items rated 0-6, willingness
reverse-scored as in McCracken et al. 2004). Item selection (CPAQ-20 items 1, 6, 9, 15 for
engagement; 13, 14, 17, 18 for willingness) agrees across two public clinical implementations
(Stanford CHOIR, PsychlytX). The standalone order used (engagement q1, q2, q3, q6;
willingness q4, q5, q7, q8) is UNCONFIRMED against Fish et al. 2010, and the catalogue marks
the key unconfirmed. Expected values are worked by hand.
"""

from __future__ import annotations

import pytest

from balm.instruments import ResponseValidationError, get_instrument, score_one


def answers(*values: object) -> dict[str, object]:
    return {f"q{number}": value for number, value in enumerate(values, start=1)}


def test_key_is_marked_unconfirmed() -> None:
    """The item selection could not be checked against Fish et al. 2010, and says so."""
    instrument = get_instrument("cpaq8")
    assert instrument.key_status == "unconfirmed"
    assert instrument.key_note is not None and "Fish et al. 2010" in instrument.key_note


def test_all_minimum_answers() -> None:
    """All 'never true' (0): engagement 0; willingness 4 x (6 - 0) = 24; total 24 (Fish 2010)."""
    result = score_one("cpaq8", answers(*[0] * 8))
    assert result == {"activity_engagement": 0.0, "pain_willingness": 24.0, "total": 24.0}


def test_all_maximum_answers() -> None:
    """All 'always true' (6): engagement 4 x 6 = 24; willingness 4 x 0 = 0; total 24 (Fish 2010)."""
    result = score_one("cpaq8", answers(*[6] * 8))
    assert result == {"activity_engagement": 24.0, "pain_willingness": 0.0, "total": 24.0}


def test_most_accepting_pattern_reaches_48() -> None:
    """Engagement items 6 and willingness items 0: 24 + 24 = 48 (Fish et al. 2010 range)."""
    result = score_one("cpaq8", answers(6, 6, 6, 0, 0, 6, 0, 0))
    assert result == {"activity_engagement": 24.0, "pain_willingness": 24.0, "total": 48.0}


def test_mixed_response_worked_by_hand() -> None:
    """Mixed answers (Fish et al. 2010 structure; item selection unconfirmed, see module).

    q1..q8 = 5 2 4 1 3 6 5 0
    engagement q1 q2 q3 q6 = 5 + 2 + 4 + 6 = 17
    willingness, reversed (6 - x): q4 1->5, q5 3->3, q7 5->1, q8 0->6 = 5 + 3 + 1 + 6 = 15
    total = 17 + 15 = 32
    """
    result = score_one("cpaq8", answers(5, 2, 4, 1, 3, 6, 5, 0))
    assert result == {"activity_engagement": 17.0, "pain_willingness": 15.0, "total": 32.0}


def test_one_blank_item_is_not_computed() -> None:
    """No published missing-item rule, so max_missing is 0: a blank drops its scales."""
    result = score_one("cpaq8", answers(None, 2, 4, 1, 3, 6, 5, 0))
    assert result == {"activity_engagement": None, "pain_willingness": 15.0, "total": None}


@pytest.mark.parametrize("bad", [7, -1, 0.5])
def test_answer_outside_the_printed_weights_is_refused(bad: float) -> None:
    """Only the printed weights 0-6 are accepted (CPAQ response scale, McCracken et al. 2004)."""
    with pytest.raises(ResponseValidationError) as raised:
        score_one("cpaq8", answers(0, 0, 0, 0, 0, 0, 0, bad))
    assert [problem.column for problem in raised.value.problems] == ["q8"]


# --- printed-order variants (balm issue #9) ----------------------------------------------


def test_a_site_must_name_its_printed_order() -> None:
    """Three printed orders are in circulation and Fish et al. 2010 could not settle which is
    right: the instrument says a variant must be named before CPAQ-8 is used."""
    instrument = get_instrument("cpaq8")
    assert instrument.needs_variant
    assert set(instrument.variants) == {"cpaq20_order", "engagement_first", "alternating"}
    for variant in instrument.variants.values():
        assert variant.source


def test_alternating_variant_scores_by_its_own_order() -> None:
    """Printed form 1 = E, 2 = W, 3 = E, 4 = W, 5 = E, 6 = E, 7 = W, 8 = W (W reversed).
    Answers 6, 0, 6, 0, 6, 6, 0, 0 on that form: engagement positions 1, 3, 5, 6 all 6 ->
    engagement 24; willingness positions 2, 4, 7, 8 all 0 -> 4 x (6 - 0) = 24; total 48.
    Read in the catalogue's own order (E at q1, q2, q3, q6), the same answers would give
    engagement 6 + 0 + 6 + 6 = 18 and willingness (6-0) + (6-6) + (6-0) + (6-0) = 18."""
    printed = answers(6, 0, 6, 0, 6, 6, 0, 0)
    by_variant = score_one("cpaq8", printed, variant="alternating")
    assert by_variant["activity_engagement"] == 24
    assert by_variant["pain_willingness"] == 24
    assert by_variant["total"] == 48
    own_order = score_one("cpaq8", printed)
    assert own_order["activity_engagement"] == 18 and own_order["pain_willingness"] == 18


def test_engagement_first_variant_batch() -> None:
    """Printed E E E E W W W W: answers 1, 2, 3, 4, 6, 6, 6, 6 -> engagement 1+2+3+4 = 10,
    willingness 4 x (6 - 6) = 0, total 10 (by hand)."""
    import pandas as pd

    from balm.instruments import score

    frame = pd.DataFrame([answers(1, 2, 3, 4, 6, 6, 6, 6)])
    result = score("cpaq8", frame, variant="engagement_first").scores.iloc[0]
    assert (result["activity_engagement"], result["pain_willingness"], result["total"]) == (
        10,
        0,
        10,
    )


def test_unknown_variant_names_the_known_ones() -> None:
    with pytest.raises(ResponseValidationError, match="alternating, cpaq20_order"):
        score_one("cpaq8", answers(0, 0, 0, 0, 0, 0, 0, 0), variant="mine")


def test_instruments_with_a_confirmed_key_need_no_variant() -> None:
    assert not get_instrument("phq9").needs_variant
