"""The staff home page stays small: running, planned and recent groups first (finished ones
behind a filter, 20 to a page), the ten newest open safety alerts with a link to all, and a
search by group name or (clinical staff only) pseudonym; the same queries however many groups."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from tests.web import factories

from balm.outcomes.actions import submit_response
from balm.programmes.models import Cohort
from balm.web.views import staff_home

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _finished(world: Any, name: str, years: int = 2) -> Cohort:
    cohort = factories.cohort(
        world.site_a, start=timezone.localdate() - timedelta(weeks=52 * years), name=name
    )
    Cohort.objects.filter(pk=cohort.pk).update(status="finished")
    return cohort


def _names(page: Any) -> list[str]:
    return [c.name for c in page.context["cohorts"]]


def test_finished_groups_behind_a_filter(world: Any) -> None:
    _finished(world, "Old group")
    recent = _finished(world, "Recent group", years=0)
    client = client_for(world.facilitator_a)
    home = client.get(reverse("home"))
    assert "Old group" not in _names(home) and {"Cohort A", recent.name} <= set(_names(home))
    assert b"1 finished group" in home.content
    finished = client.get(reverse("home") + "?show=finished")
    assert _names(finished) == ["Old group"]
    assert "Old group" in _names(client.get(reverse("home") + "?show=all"))


def test_groups_a_page_at_a_time(world: Any) -> None:
    for n in range(24):
        factories.cohort(world.site_a, name=f"Group {n:02d}")
    client = client_for(world.facilitator_a)
    first = client.get(reverse("home"))
    second = client.get(reverse("home") + "?show=current&page=2")
    assert len(_names(first)) == 20 and len(_names(second)) == 5  # 24 + Cohort A
    assert not set(_names(first)) & set(_names(second))
    assert b"Page 1 of 2" in first.content


def test_query_count_does_not_grow_with_groups(world: Any) -> None:
    client = client_for(world.facilitator_a)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("home")).status_code == 200
        return len(captured)

    few = queries()
    for n in range(30):
        factories.cohort(world.site_a, name=f"Group {n:02d}")
        _finished(world, f"Old {n:02d}")
    assert queries() == few


def _raise_alert(world: Any, pseudonym: str) -> None:
    """A new course in cohort A whose baseline PHQ-9 has item 9 above 0: a safety alert."""
    enrolment = factories.enrol(factories.participant(world.site_a, pseudonym), world.cohort_a)
    submit_response(
        assessment=enrolment.assessments.get(instrument_id="phq9", timepoint="baseline"),
        answers={**{f"q{i}": 0 for i in range(1, 9)}, "q9": 1},
        client_id=factories.client_id(),
        entry_mode="staff_paper",
        by=None,
    )


def test_alerts_bounded_with_a_link_to_all(world: Any) -> None:
    for n in range(12):
        _raise_alert(world, f"A{n:02d}")
    home = client_for(world.facilitator_a).get(reverse("home"))
    assert len(home.context["alerts"]) == 10 and home.context["alert_count"] == "12"
    assert b"All 12 safety answers to review" in home.content
    listing = client_for(world.facilitator_a).get(reverse("alerts"))
    assert listing.status_code == 200 and len(listing.context["alerts"]) == 12
    # researchers and colleagues elsewhere see none; participants get no page
    assert len(client_for(world.researcher_a).get(reverse("alerts")).context["alerts"]) == 0
    assert len(client_for(world.facilitator_b).get(reverse("alerts")).context["alerts"]) == 0
    assert client_for(world.p1_user).get(reverse("alerts")).status_code == 403


def test_search_by_group_name_and_pseudonym(world: Any) -> None:
    url = reverse("home") + "?q="
    owner = client_for(world.facilitator_a).get(url + "p1")
    assert [e.participant.pseudonym for e in owner.context["found_people"]] == ["P1"]
    assert [
        c.name for c in client_for(world.facilitator_a).get(url + "cohort").context["found_cohorts"]
    ] == ["Cohort A"]
    # another site's staff find nothing of site A
    other = client_for(world.facilitator_b).get(url + "p1")
    assert other.context["found_people"] == [] and other.context["found_cohorts"] == []
    assert [
        c.name for c in client_for(world.facilitator_b).get(url + "cohort").context["found_cohorts"]
    ] == ["Cohort B"]
    # researchers search groups, never people
    researcher = client_for(world.researcher_a).get(url + "p1")
    assert researcher.context["found_people"] is None and b"Participants" not in researcher.content
    # participants have no staff home
    assert client_for(world.p1_user).get(url + "p1").status_code in (302, 403)


def test_the_count_of_open_alerts_stops_at_its_cap(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted up to ALERT_COUNT_CAP ("N+" beyond), so years of unreviewed alerts cost the
    page no more than a hundred: here the cap lowered to 3, with 3 and then 4 open alerts."""
    monkeypatch.setattr(staff_home, "ALERT_COUNT_CAP", 3)
    for n in range(4):
        _raise_alert(world, f"C{n:02d}")
        home = client_for(world.facilitator_a).get(reverse("home"))
        expected = "3+" if n == 3 else str(n + 1)
        assert home.context["alert_count"] == expected
        assert f"Safety answers to review ({expected})".encode() in home.content
        assert (b"All 3+ safety answers to review" in home.content) == (n == 3)
