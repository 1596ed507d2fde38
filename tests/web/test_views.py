"""Pages: access for every persona, and the participant questionnaire end to end."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, reverse
from django.urls.converters import IntConverter
from django.utils import timezone
from tests.web import factories

from balm.accounts.actions import issue_participant_link, revoke_participant_link
from balm.outcomes.models import Draft, Response, SafetyAlert
from balm.web.urls import urlpatterns

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_login_page_and_anonymous_redirect(world) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b'lang="en-GB"' in page.content and b"Skip to main content" in page.content
    assert client.get(reverse("home")).url == reverse("login")
    assert client.get(reverse("cohort", args=[world.cohort_a.pk])).status_code == 302


def test_staff_home_lists_only_visible_cohorts(world) -> None:  # type: ignore[no-untyped-def]
    page = client_for(world.facilitator_a).get(reverse("home"))
    assert b"Cohort A" in page.content and b"Cohort B" not in page.content
    page = client_for(world.facilitator_b).get(reverse("home"))
    assert b"Cohort B" in page.content and b"Cohort A" not in page.content


def test_cohort_page_access(world) -> None:  # type: ignore[no-untyped-def]
    url = reverse("cohort", args=[world.cohort_a.pk])
    owner = client_for(world.facilitator_a).get(url)
    assert owner.status_code == 200 and b"Pat One" in owner.content
    assert client_for(world.facilitator_b).get(url).status_code == 404
    researcher = client_for(world.researcher_a).get(url)
    assert researcher.status_code == 200
    assert b"P1" in researcher.content and b"Pat One" not in researcher.content
    assert client_for(world.admin_a).get(url).status_code == 200
    assert client_for(world.p1_user).get(url).status_code == 404


def test_alert_page_and_acknowledgement(world) -> None:  # type: ignore[no-untyped-def]
    from balm.outcomes.actions import submit_response

    response = submit_response(
        assessment=world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="baseline"),
        answers={**factories.PHQ9_ZEROS, "q9": 2},
        client_id=factories.client_id(),
        by=world.p1,
    )
    alert = response.alerts.get()
    url = reverse("alert", args=[alert.pk])
    for outsider in (world.facilitator_b, world.researcher_a, world.p1_user):
        assert client_for(outsider).get(url).status_code == 404
    owner = client_for(world.facilitator_a)
    assert b"Safety answers to review" in owner.get(reverse("home")).content
    owner.post(url, {"note": "Called; safety plan reviewed"})
    alert.refresh_from_db()
    assert alert.acknowledged_by == world.facilitator_a


def _participant_client(world) -> Client:  # type: ignore[no-untyped-def]
    _, token = issue_participant_link(participant=world.p1, by=None)
    client = Client()
    opened = client.get(reverse("participant-link", args=[token]))
    assert opened.url == reverse("my-questionnaires")
    return client


def test_bad_link_is_refused_kindly(world) -> None:  # type: ignore[no-untyped-def]
    page = Client().get(reverse("participant-link", args=["not-a-token"]))
    assert page.status_code == 404 and b"ask your group facilitator" in page.content
    assert Client().get(reverse("my-questionnaires")).status_code == 404


def test_participant_answers_a_questionnaire_page_by_page(world) -> None:  # type: ignore[no-untyped-def]
    client = _participant_client(world)
    listing = client.get(reverse("my-questionnaires"))
    assert b"Patient Health Questionnaire-9" in listing.content
    assessment = world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="baseline")
    url = reverse("questionnaire", args=[assessment.pk])
    first = client.get(url)
    assert b"Page 1 of 3" in first.content and b"<fieldset" in first.content
    # leaving one item of the page blank: saved so far, error beside the missing one
    page = client.post(url, {"page": 1, "q1": "1", "q2": "0", "go": "next"})
    assert page.status_code == 200
    assert b"Please answer this question" in page.content
    assert Draft.objects.get(assessment=assessment).answers == {"q1": "1", "q2": "0"}
    page = client.post(url, {"page": 1, "q3": "0", "go": "next"})
    assert page.url.endswith("?page=2")
    client.post(url, {"page": 2, "q4": "1", "q5": "0", "q6": "0", "go": "next"})
    # stop and resume: the draft survives
    assert client.get(url + "?page=2").status_code == 200
    done = client.post(url, {"page": 3, "q7": "0", "q8": "0", "q9": "0", "go": "next"})
    assert done.url == reverse("questionnaire-done", args=[assessment.pk])
    response = Response.objects.get(assessment=assessment)
    assert response.scores["total"] == 2.0
    assert response.entry_mode == "participant_online"
    thanks = client.get(done.url)
    assert b"Thank you" in thanks.content and b"116 123" not in thanks.content


def test_crisis_contacts_shown_after_a_safety_answer(world) -> None:  # type: ignore[no-untyped-def]
    world.site_a.crisis_contacts = "Samaritans: call 116 123"
    world.site_a.save()
    client = _participant_client(world)
    assessment = world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="baseline")
    url = reverse("questionnaire", args=[assessment.pk])
    client.post(url, {"page": 1, "q1": "1", "q2": "1", "q3": "1", "go": "next"})
    client.post(url, {"page": 2, "q4": "1", "q5": "1", "q6": "1", "go": "next"})
    done = client.post(url, {"page": 3, "q7": "1", "q8": "1", "q9": "1", "go": "next"})
    thanks = client.get(done.url)
    assert b"116 123" in thanks.content
    assert SafetyAlert.objects.filter(response__assessment=assessment).count() == 1


def test_participant_cannot_open_anothers_questionnaire(world) -> None:  # type: ignore[no-untyped-def]
    client = _participant_client(world)
    other = world.enrolment_p2.assessments.get(instrument_id="phq9", timepoint="baseline")
    assert client.get(reverse("questionnaire", args=[other.pk])).status_code == 404


def test_revoking_a_link_ends_the_session_at_once(world) -> None:  # type: ignore[no-untyped-def]
    link, token = issue_participant_link(participant=world.p1, by=None)
    client = Client()
    client.get(reverse("participant-link", args=[token]))
    assert client.get(reverse("my-questionnaires")).status_code == 200
    revoke_participant_link(link=link, by=world.facilitator_a)
    assert client.get(reverse("my-questionnaires")).status_code == 404


def test_healthz(db) -> None:  # type: ignore[no-untyped-def]
    assert Client().get("/healthz").json() == {"ok": True}


def test_weekly_checkin_page(world) -> None:  # type: ignore[no-untyped-def]
    from balm.outcomes.models import CheckIn
    from balm.programmes.actions import change_enrolment_status

    for status in ("assessed", "started"):
        change_enrolment_status(enrolment=world.enrolment_p1, status=status, by=None)
    client = _participant_client(world)
    listing = client.get(reverse("my-questionnaires"))
    assert b"check-in" in listing.content
    week = world.cohort_a.sessions.filter(date__lte=timezone.localdate()).count()
    page = client.post(reverse("checkin"), {"q1": "5", "q6": "", "practice_type": "none"})
    assert page.status_code == 200 and b"Please answer this question" in page.content
    done = client.post(
        reverse("checkin"),
        {
            "q1": "5",
            "q2": "6",
            "q3": "4",
            "q4": "5",
            "q5": "7",
            "q6": "20",
            "practice_type": "soothing_breathing",
            "q7": "",
            "q8": "A hard week",
        },
    )
    assert done.url == reverse("my-questionnaires")
    saved = CheckIn.objects.get(enrolment=world.enrolment_p1)
    assert saved.week == week and saved.note == "A hard week"
    assert saved.scores["practice_minutes"] == 20.0
    assert b"Check in</a>" not in client.get(reverse("my-questionnaires")).content


def test_other_site_gets_the_kind_404_page(world, settings) -> None:  # type: ignore[no-untyped-def]
    from balm.outcomes.actions import submit_response

    settings.DEBUG = False
    response = submit_response(
        assessment=world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="baseline"),
        answers={**factories.PHQ9_ZEROS, "q9": 1},
        client_id=factories.client_id(),
        by=world.p1,
    )
    # a second clinical role at site B who can see nothing at A gets a 404, never a 403 leak
    page = client_for(world.facilitator_b).post(reverse("alert", args=[response.alerts.get().pk]))
    assert page.status_code == 404 and b"could not find" in page.content


# Every page with an id in its URL (``<int:...>``); the id is a bigint (1 to 2**63 - 1).
ID_PAGES = sorted(
    pattern.name
    for pattern in urlpatterns
    if isinstance(pattern, URLPattern)
    and any(isinstance(c, IntConverter) for c in pattern.pattern.converters.values())
)
BIGINT_MAX = 2**63 - 1


@pytest.mark.parametrize("name", ID_PAGES)
def test_an_id_beyond_the_bigint_range_is_404_never_500(world, name) -> None:  # type: ignore[no-untyped-def]
    """``<int:...>`` takes any run of digits, but Django's lookups treat an integer beyond the
    column's range as matching nothing, so the page is a 404 and the database never sees it
    (where it would be a DataError on PostgreSQL, an OverflowError on SQLite)."""
    pattern = next(p for p in urlpatterns if isinstance(p, URLPattern) and p.name == name)
    staff = [client_for(world.facilitator_a), client_for(world.admin_a)]
    participants = [client_for(world.p1_user), _participant_client(world)]
    for value in (BIGINT_MAX, BIGINT_MAX + 1, 10**20):
        url = reverse(name, kwargs=dict.fromkeys(pattern.pattern.converters, value))
        for client in staff + participants:
            client.raise_request_exception = False  # a 500 shows as its status
            statuses = {client.get(url).status_code, client.post(url).status_code}
            # 405: the other method; 302: a personal-link session sent to log in (staff pages)
            assert statuses <= {302, 404, 405}, (url, statuses)
            assert 404 in statuses or client not in staff, (url, statuses)


def test_an_export_filter_beyond_the_bigint_range_is_404(world) -> None:  # type: ignore[no-untyped-def]
    client = client_for(world.admin_a)
    client.raise_request_exception = False
    for query in ("cohort", "site"):
        url = f"{reverse('export-checkins')}?{query}={10**20}"
        assert client.get(url).status_code == 404, url
