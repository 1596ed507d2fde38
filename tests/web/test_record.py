"""The participant record (``/enrolments/<id>/record/``) and the check-ins on the cohort page.

Personas (tests/web/conftest.py): the owner facilitator and the site administrator see the
whole record, with contact details, check-in notes and safety answers; a researcher of the
site sees it pseudonymised (scores, bands, change, check-in numbers, attendance; no name,
e-mail, notes, amendment reasons or alerts); a colleague at another site, participants P1 and
P2 and anonymous visitors do not see it (404, 404, 404, login).

Expected change categories are worked by hand from the figures the catalogue cites:

CORE-10, lower is better: alpha .90 (Barkham et al. 2013), clinical SD 7.7 (Connell & Barkham
2007, CORE-10 User Manual table 3), clinical from 11 (Barkham et al. 2013). Jacobson & Truax:
S_diff = sqrt(2) * 7.7 * sqrt(1 - .90) = 3.4435; 24 -> 9 is -15 / 3.4435 = -4.36, beyond
-1.96, so reliably better, and it moves from 24 (>= 11) to 9 (< 11): "recovered".
Items 2 and 3 are stored as scored (the catalogue's weights), so a total is the plain sum of
the answers: ten answers 3,3,3,3,3,0,3,3,3,0 sum to 24; 1,1,1,1,1,0,1,1,1,1 sum to 9.

PHQ-9, lower is better: no SD in the catalogue, so the NHS Talking Therapies reliable change
(a drop of 6 or more) with caseness from 10: 16 -> 8 drops 8, from >= 10 to < 10:
"recovered". 16 is in the "moderately severe" band (15-19, Kroenke et al. 2001).
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from tests.web.record_data import NOTE, fill_record

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def filled(world):  # type: ignore[no-untyped-def]
    return fill_record(world)


def _url(enrolment) -> str:  # type: ignore[no-untyped-def]
    return reverse("record", args=[enrolment.pk])


def test_owner_sees_scores_bands_change_checkins_and_notes(world, filled) -> None:  # type: ignore[no-untyped-def]
    page = client_for(world.facilitator_a).get(_url(filled))
    assert page.status_code == 200
    html = page.content.decode()
    measures = {m.instrument.id: m for m in page.context["measures"]}
    core = measures["core10"].scales[0]
    assert [r.score for r in core.rows] == ["24", "9"]
    assert core.rows[0].change is None  # the start
    assert core.rows[1].change.category == "recovered"
    phq = measures["phq9"].scales[0]
    assert [(r.score, r.band) for r in phq.rows] == [("16", "Moderately severe"), ("8", "Mild")]
    assert phq.rows[1].change.category == "recovered"
    assert "Patient Health Questionnaire" in html or "PHQ-9" in html
    assert "moderately_severe" not in html and "total_band" not in html
    # check-ins as charts and a table, with the participant's note; practice minutes summed
    assert page.context["checkins"].total_minutes == 40
    assert len(page.context["checkins"].charts) == 2
    assert NOTE in html
    # attendance, alerts and amendments
    assert page.context["attended"] == 1
    assert "Apologies sent" in html
    assert len(page.context["alerts"]) == 1 and "not yet acknowledged" in html
    assert "Checked against the paper form" in html
    assert "Pat One" in html and "p1@example.org" in html


def test_administrator_sees_the_whole_record(world, filled) -> None:  # type: ignore[no-untyped-def]
    page = client_for(world.admin_a).get(_url(filled))
    assert page.status_code == 200
    assert NOTE in page.content.decode() and len(page.context["alerts"]) == 1


def test_researcher_sees_it_pseudonymised(world, filled) -> None:  # type: ignore[no-untyped-def]
    page = client_for(world.researcher_a).get(_url(filled))
    assert page.status_code == 200
    html = page.content.decode()
    assert "P1" in html
    for hidden in ("Pat One", "p1@example.org", NOTE, "Checked against the paper form"):
        assert hidden not in html, hidden
    assert len(page.context["alerts"]) == 0 and "Safety answers" not in html
    # the numbers are there
    measures = {m.instrument.id: m for m in page.context["measures"]}
    assert measures["core10"].scales[0].rows[1].change.category == "recovered"


@pytest.mark.parametrize("who", ["facilitator_b", "p1_user", "p2_user"])
def test_others_get_404(world, filled, who) -> None:  # type: ignore[no-untyped-def]
    assert client_for(getattr(world, who)).get(_url(filled)).status_code == 404


def test_anonymous_is_sent_to_log_in(world, filled) -> None:  # type: ignore[no-untyped-def]
    page = client_for(None).get(_url(filled))
    assert page.status_code == 302 and "/login/" in page.url


def test_record_is_read_only(world, filled) -> None:  # type: ignore[no-untyped-def]
    assert client_for(world.facilitator_a).post(_url(filled), {}).status_code == 405


def test_cohort_page_shows_change_and_checkin_notes_to_clinical_staff_only(world, filled) -> None:  # type: ignore[no-untyped-def]
    url = reverse("cohort", args=[world.cohort_a.pk])
    page = client_for(world.facilitator_a).get(url)
    html = page.content.decode()
    row = next(r for r in page.context["rows"] if r["enrolment"] == filled)
    assert [(c["measure"], c["category"]) for c in row["changes"]] == [
        ("CORE-10", "recovered"),
        ("PHQ-9", "recovered"),
    ]
    assert row["attended"] == 1 and row["checkin"].week == 2
    assert reverse("record", args=[filled.pk]) in html
    assert NOTE in html
    seen = client_for(world.researcher_a).get(url).content.decode()
    assert NOTE not in seen and "Pat One" not in seen
