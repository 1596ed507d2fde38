"""Rules that need no database: statuses, transitions, windows, flow counts, env helpers."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from balm.accounts.errors import InvalidInput, Problem
from balm.outcomes.answers import is_blank, stored_answers
from balm.outcomes.scheduling import assessment_window
from balm.outcomes.status import AssessmentStatus, assessment_status
from balm.programmes.flow import flow_counts
from balm.programmes.models import transition_problem
from balm.web.env import ConfigError, env_bool, env_int, env_list, env_str

D = date(2026, 3, 2)


@pytest.mark.parametrize(
    ("response", "draft", "today", "expected"),
    [
        (True, False, date(2026, 5, 1), AssessmentStatus.COMPLETE),
        (False, False, date(2026, 3, 20), AssessmentStatus.MISSED),
        (False, True, date(2026, 3, 20), AssessmentStatus.MISSED),
        (False, True, date(2026, 3, 3), AssessmentStatus.IN_PROGRESS),
        (False, False, date(2026, 2, 1), AssessmentStatus.UPCOMING),
        (False, False, D, AssessmentStatus.DUE),
        (False, False, date(2026, 3, 16), AssessmentStatus.DUE),  # closing day is still open
    ],
)
def test_assessment_status(response: bool, draft: bool, today: date, expected: str) -> None:
    status = assessment_status(
        has_response=response,
        has_draft=draft,
        opens_on=date(2026, 2, 23),
        closes_on=date(2026, 3, 16),
        today=today,
    )
    assert status == expected


def test_assessment_window_weeks_from_start() -> None:
    assert assessment_window(D, 0, "baseline") == (date(2026, 2, 23), D, date(2026, 3, 16))
    _opens, due, closes = assessment_window(D, 24, "follow_up")
    assert due == date(2026, 8, 17)
    assert (closes - due).days == 28


@pytest.mark.parametrize(
    ("current", "new", "ok"),
    [
        ("referred", "assessed", True),
        ("referred", "started", False),
        ("assessed", "started", True),
        ("started", "completed", True),
        ("started", "withdrawn", True),
        ("referred", "withdrawn", True),
        ("completed", "withdrawn", False),
        ("withdrawn", "started", False),
        ("started", "nonsense", False),
    ],
)
def test_transitions(current: str, new: str, ok: bool) -> None:
    assert (transition_problem(current, new) is None) is ok


def test_flow_counts_from_histories() -> None:
    histories = [
        [("referred", "")],
        [("referred", ""), ("assessed", ""), ("withdrawn", "not suitable")],
        [("referred", ""), ("assessed", ""), ("started", "")],
        [("referred", ""), ("assessed", ""), ("started", ""), ("completed", "")],
        [("referred", ""), ("assessed", ""), ("started", ""), ("withdrawn", "flare-up")],
        [("referred", ""), ("assessed", ""), ("started", ""), ("withdrawn", "")],
    ]
    counts = flow_counts(histories)
    assert (counts.referred, counts.assessed, counts.started, counts.completed) == (6, 5, 4, 1)
    assert counts.withdrawn == 3
    assert counts.withdrawn_before_start == 1
    assert counts.withdrawn_after_start == 2
    assert counts.in_progress == 1
    assert counts.reasons == {"flare-up": 1, "no reason recorded": 1, "not suitable": 1}
    assert counts.dropout_rate == Fraction(2, 4)


def test_dropout_rate_is_computed_from_counts() -> None:
    # Malpus et al. 2023: 162 started, 45 dropped out: 27.78%, not the printed 27.43%.
    started = [[("referred", ""), ("assessed", ""), ("started", "")]] * 117
    dropped = [[("referred", ""), ("assessed", ""), ("started", ""), ("withdrawn", "x")]] * 45
    rate = flow_counts(started + dropped).dropout_rate
    assert rate == Fraction(45, 162)
    assert round(float(rate) * 100, 2) == 27.78


def test_flow_counts_empty() -> None:
    assert flow_counts([]).dropout_rate is None


def test_blank_is_missing_never_zero() -> None:
    assert is_blank(None) and is_blank("") and is_blank("  ") and is_blank(float("nan"))
    assert not is_blank(0) and not is_blank("0")
    assert stored_answers({"q1": "", "q2": 0, "q3": "2"}) == {"q1": None, "q2": 0, "q3": "2"}


def test_invalid_input_carries_every_problem() -> None:
    error = InvalidInput([("q1", "Please answer"), Problem("q2", "Please answer"), ("", "x")])
    assert len(error.problems) == 3
    assert error.by_field() == {"q1": ["Please answer"], "q2": ["Please answer"], "": ["x"]}
    with pytest.raises(ValueError, match="at least one"):
        InvalidInput([])


def test_env_helpers_fail_loudly() -> None:
    env = {"A": "yes", "B": "maybe", "N": "12", "M": "x", "L": "a, b,,c"}
    assert env_bool("A", environ=env) is True
    assert env_bool("UNSET", True, environ=env) is True
    with pytest.raises(ConfigError, match="B="):
        env_bool("B", environ=env)
    assert env_int("N", 0, environ=env) == 12
    with pytest.raises(ConfigError):
        env_int("M", 0, environ=env)
    assert env_list("L", environ=env) == ["a", "b", "c"]
    with pytest.raises(ConfigError, match="must be set"):
        env_str("UNSET", environ=env)


def test_withdrawn_participants_unanswered_assessments_are_not_missed() -> None:
    common = dict(opens_on=date(2026, 2, 23), closes_on=date(2026, 3, 16), today=date(2026, 5, 1))
    assert assessment_status(has_response=False, has_draft=False, withdrawn=True, **common) == (
        AssessmentStatus.WITHDRAWN
    )
    assert assessment_status(has_response=True, has_draft=False, withdrawn=True, **common) == (
        AssessmentStatus.COMPLETE
    )
