"""'My progress': a participant's own scores over the weeks, and nobody else's."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from tests.web import factories

from balm.accounts.actions import issue_participant_link
from balm.outcomes.actions import submit_checkin, submit_response

pytestmark = pytest.mark.django_db

URL = "/me/progress/"


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def checkin(enrolment, week, mood, pain, by):  # type: ignore[no-untyped-def]
    answers = {"q1": mood, "q2": 5, "q3": 5, "q4": 5, "q5": pain, "q6": 10}
    return submit_checkin(
        enrolment=enrolment, week=week, answers=answers, client_id=factories.client_id(), by=by
    )


def phq9(enrolment, q1, by):  # type: ignore[no-untyped-def]
    assessment = enrolment.assessments.get(instrument_id="phq9", timepoint="baseline")
    return submit_response(
        assessment=assessment,
        answers={**factories.PHQ9_ZEROS, "q1": q1},
        client_id=factories.client_id(),
        by=by,
    )


def table_cells(html: str) -> list[str]:
    return re.findall(r"<td>([^<]*)</td>", html)


def test_url_and_link_from_home(world) -> None:  # type: ignore[no-untyped-def]
    assert reverse("my-progress") == URL
    home = client_for(world.p1_user).get(reverse("my-questionnaires"))
    assert f'href="{URL}"'.encode() in home.content


def test_participant_sees_only_their_own_values(world) -> None:  # type: ignore[no-untyped-def]
    checkin(world.enrolment_p1, 1, mood=3, pain=8, by=world.p1)
    checkin(world.enrolment_p1, 4, mood=7, pain=6, by=world.p1)  # weeks 2 and 3 missed
    phq9(world.enrolment_p1, 2, by=world.p1)
    checkin(world.enrolment_p2, 1, mood=9, pain=1, by=world.p2)
    phq9(world.enrolment_p2, 3, by=world.p2)
    page = client_for(world.p1_user).get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Mood (higher is better)" in html
    assert "Pain intensity (lower is better)" in html
    assert "Depression severity (lower is better)" in html
    assert "Week 1" in html and "Week 4" in html
    assert "Week 2" not in html and "Week 3" not in html  # missed weeks simply absent
    cells = table_cells(html)
    assert "3" in cells and "7" in cells and "8" in cells and "2" in cells
    assert "9" not in cells  # P2's mood
    # Whole words only: "P2" can occur by chance inside the page's random CSRF token.
    assert "Sam Two" not in html and not re.search(r"\bP2\b", html)


def test_chart_is_accessible_and_gentle(world) -> None:  # type: ignore[no-untyped-def]
    checkin(world.enrolment_p1, 1, mood=3, pain=8, by=world.p1)
    checkin(world.enrolment_p1, 2, mood=5, pain=7, by=world.p1)
    html = client_for(world.p1_user).get(URL).content.decode()
    assert '<svg role="img"' in html
    assert re.search(r"<title id=\"chart-[\w-]+-t\">How you have been feeling</title>", html)
    desc = re.search(r"<desc id=\"chart-[\w-]+-d\">([^<]*)</desc>", html)
    assert desc and "Mood (higher is better): 3 (Week 1) to 5 (Week 2)" in desc.group(1)
    assert "<table" in html
    # The caption is outside the scrolling box (it does not scroll away with the table).
    caption = re.search(r'<p class="table-caption" id="(cap-[\w-]+)">([^<]+)</p>', html)
    assert caption and caption.group(2) == "Your weekly check-ins as numbers"
    wrap = re.search(r'<div class="table-wrap"[^>]*aria-labelledby="([\w-]+)"', html)
    assert wrap and wrap.group(1) == caption.group(1)
    assert html.index(caption.group(0)) < html.index('<div class="table-wrap"')
    lowered = html.lower()
    assert "streak" not in lowered and "missed" not in lowered
    assert "#a1260d" not in lowered and "red" not in re.findall(r'(?:stroke|fill)="(\w+)"', html)


def test_personal_link_participant_sees_their_progress(world) -> None:  # type: ignore[no-untyped-def]
    checkin(world.enrolment_p2, 1, mood=9, pain=1, by=world.p2)
    _, token = issue_participant_link(participant=world.p2, by=None)
    client = Client()
    client.get(f"/p/{token}/")
    page = client.get(URL)
    assert page.status_code == 200
    assert "9" in table_cells(page.content.decode())


def test_empty_state_for_a_new_participant(world) -> None:  # type: ignore[no-untyped-def]
    page = client_for(world.p1_user).get(URL)
    assert page.status_code == 200
    assert b"Your progress will appear here" in page.content
    assert b"<svg role" not in page.content


def test_staff_and_strangers_cannot_open_it(world) -> None:  # type: ignore[no-untyped-def]
    checkin(world.enrolment_p1, 1, mood=3, pain=8, by=world.p1)
    for user in (world.facilitator_a, world.facilitator_b, world.researcher_a, world.admin_a):
        assert client_for(user).get(URL).status_code == 404
    assert Client().get(URL).status_code == 404
    # No way to ask for someone else's: a query string is ignored, P2 still sees only P2.
    other = client_for(world.p2_user).get(f"{URL}?participant={world.p1.pk}")
    assert other.status_code == 200 and b"Your progress will appear here" in other.content


def test_lines_differ_by_shape_not_only_colour(world) -> None:  # type: ignore[no-untyped-def]
    checkin(world.enrolment_p1, 1, mood=3, pain=8, by=world.p1)
    checkin(world.enrolment_p1, 2, mood=5, pain=7, by=world.p1)
    html = client_for(world.p1_user).get(URL).content.decode()
    # "How you have been feeling" draws four lines (mood, outlook, acceptance, comfort):
    # circle, square, triangle and diamond markers, each also in the legend.
    feeling = html[html.index("How you have been feeling") : html.index("Your pain")]
    legend = feeling[feeling.index('<ul class="legend"') :]
    shapes = re.findall(r'<path d="(M[^"]+)" fill=', legend)
    assert len(shapes) == 4
    commands = [re.sub(r"[^A-Za-z]", "", d) for d in shapes]
    assert len(set(commands)) == 4, commands  # four different shapes


def test_questionnaire_names_are_plain_words(world) -> None:  # type: ignore[no-untyped-def]
    """DASS-21's catalogue names say 'Depression (sum x 2, 0-42)'; a participant reads
    'Depression (lower is better)'."""
    submit_response(
        assessment=world.enrolment_p1.assessments.get(instrument_id="dass21", timepoint="baseline"),
        answers={f"q{i}": 1 for i in range(1, 22)},
        client_id=factories.client_id(),
        by=world.p1,
    )
    html = client_for(world.p1_user).get(URL).content.decode()
    assert "Depression (lower is better)" in html
    assert "sum x 2" not in html and "0-42" not in html and "after reversal" not in html
    assert "Start" in html  # the baseline, in the participants' word


def test_one_line_per_plain_name() -> None:
    """SWEMWBS's raw total and metric score are both 'Mental wellbeing' in plain words: the
    participant sees the metric score (swemwbs.yaml's ``total``), not two lines of one name."""
    from balm.instruments import get_instrument
    from balm.web.progress import plainly_named

    scales = plainly_named(list(get_instrument("swemwbs").scales))
    assert [s.id for s in scales] == ["total"]
