"""Staff pages end to end: paper entry, amendment, enrolling (one and CSV), status changes,
personal links, sessions and attendance, cohort creation and the dashboard."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from tests.web import factories

from balm.accounts.models import Participant, ParticipantLink
from balm.audit.models import AuditEvent
from balm.instruments import get_instrument, score_one
from balm.outcomes.actions import submit_response
from balm.outcomes.models import Assessment, Response, ResponseAmendment
from balm.programmes.models import Attendance, Cohort, Enrolment
from balm.web.views.dashboard import completion_rates

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _phq9(world) -> Assessment:  # type: ignore[no-untyped-def]
    return world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="baseline")


# --- paper entry and amendment -----------------------------------------------------------


def test_paper_entry_is_staff_paper_scored_by_the_engine(world) -> None:  # type: ignore[no-untyped-def]
    assessment = _phq9(world)
    url = reverse("paper-entry", args=[assessment.pk])
    client = client_for(world.facilitator_a)
    page = client.get(url)
    assert page.status_code == 200 and b"client_id" in page.content
    answers = {f"q{i}": str(i % 4) for i in range(1, 9)}  # q9 left blank on the paper
    posted = client.post(url, {**answers, "client_id": "paper-1", "confirm": "on"})
    assert posted.status_code == 302
    response = Response.objects.get(assessment=assessment)
    assert response.entry_mode == "staff_paper"
    assert response.entered_by == world.facilitator_a
    assert "q9" not in response.answers or response.answers["q9"] is None
    expected = score_one(get_instrument("phq9"), {k: int(v) for k, v in answers.items()})
    assert response.scores["total"] == pytest.approx(float(expected["total"]))
    # sending the same form again changes nothing
    client.post(url, {**answers, "client_id": "paper-1", "confirm": "on"})
    assert Response.objects.filter(assessment=assessment).count() == 1


def test_paper_entry_shows_every_problem_beside_its_field(world) -> None:  # type: ignore[no-untyped-def]
    assessment = _phq9(world)
    url = reverse("paper-entry", args=[assessment.pk])
    page = client_for(world.facilitator_a).post(url, {"q1": "7", "client_id": "x"})
    assert page.status_code == 200
    assert b'id="err-q1"' in page.content and b'id="err-confirm"' in page.content
    assert b'aria-describedby="err-q1"' in page.content
    assert not Response.objects.filter(assessment=assessment).exists()


def test_amendment_needs_a_reason_and_keeps_history(world) -> None:  # type: ignore[no-untyped-def]
    response = submit_response(
        assessment=_phq9(world),
        answers=factories.PHQ9_ZEROS,
        client_id=factories.client_id(),
        by=world.p1,
    )
    url = reverse("amend-response", args=[response.pk])
    client = client_for(world.facilitator_a)
    changed = {**{k: str(v) for k, v in factories.PHQ9_ZEROS.items()}, "q1": "3"}
    no_reason = client.post(url, changed)
    assert no_reason.status_code == 200 and b'id="err-reason"' in no_reason.content
    assert not ResponseAmendment.objects.exists()
    done = client.post(url, {**changed, "reason": "Typed q1 from the wrong row."})
    assert done.status_code == 302
    response.refresh_from_db()
    assert response.scores["total"] == 3 and response.answers["q1"] == 3
    amendment = ResponseAmendment.objects.get(response=response)
    assert amendment.old_scores["total"] == 0 and amendment.reason.startswith("Typed q1")
    page = client.get(url)
    assert b"Typed q1 from the wrong row." in page.content
    # a researcher sees the history but no form, and cannot post
    researcher = client_for(world.researcher_a)
    seen = researcher.get(url)
    assert seen.status_code == 200 and b"Save the amendment" not in seen.content
    assert researcher.post(url, {**changed, "reason": "x"}).status_code == 403


def test_paper_entry_of_an_answered_form_goes_to_the_amendment(world) -> None:  # type: ignore[no-untyped-def]
    response = submit_response(
        assessment=_phq9(world),
        answers=factories.PHQ9_ZEROS,
        client_id=factories.client_id(),
        by=world.p1,
    )
    page = client_for(world.facilitator_a).get(reverse("paper-entry", args=[_phq9(world).pk]))
    assert page.url == reverse("amend-response", args=[response.pk])


# --- enrolling ---------------------------------------------------------------------------


def test_enrol_one_new_participant(world) -> None:  # type: ignore[no-untyped-def]
    url = reverse("enrol", args=[world.cohort_a.pk])
    client = client_for(world.facilitator_a)
    bad = client.post(url, {"pseudonym": "", "diagnosis_category": "nope", "email": "x"})
    assert bad.status_code == 200
    for field in (b"err-pseudonym", b"err-diagnosis_category", b"err-email"):
        assert field in bad.content
    ok = client.post(url, {"pseudonym": "P9", "name": "Alex Nine", "diagnosis_category": "crps"})
    assert ok.status_code == 302
    enrolment = Enrolment.objects.get(cohort=world.cohort_a, participant__pseudonym="P9")
    assert enrolment.status == "referred" and enrolment.format == world.cohort_a.format
    assert enrolment.assessments.exists()
    again = client.post(url, {"pseudonym": "P9", "diagnosis_category": "crps"})
    assert again.status_code == 200 and b"already in this group" in again.content


CSV_GOOD = (
    "pseudonym,name,email,diagnosis_category,format\n"
    "C1,,,fibromyalgia,\n"
    "C2,Jo,jo@example.org,crps,online\n"
)


def _upload(client: Client, cohort: Cohort, text: str):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("enrol-csv", args=[cohort.pk]),
        {"file": SimpleUploadedFile("people.csv", text.encode(), content_type="text/csv")},
    )


def test_csv_enrol_all_rows(world) -> None:  # type: ignore[no-untyped-def]
    page = _upload(client_for(world.facilitator_a), world.cohort_a, CSV_GOOD)
    assert page.status_code == 302
    enrolled = Enrolment.objects.filter(
        cohort=world.cohort_a, participant__pseudonym__in=["C1", "C2"]
    )
    assert enrolled.count() == 2
    assert enrolled.get(participant__pseudonym="C2").format == "online"


def test_csv_enrol_reports_every_bad_row_and_writes_nothing(world) -> None:  # type: ignore[no-untyped-def]
    text = (
        "pseudonym,name,email,diagnosis_category,format\n"
        "N1,,,fibromyalgia,in_person\n"  # fine
        ",,,crps,\n"  # row 2: no pseudonym
        "N3,,not-an-email,backache,\n"  # row 3: email and diagnosis
        "N4,,,crps,by_post\n"  # row 4: format
        "N1,,,crps,\n"  # row 5: duplicate of row 1
        "P1,,,crps,\n"  # row 6: already enrolled
    )
    before = (Participant.objects.count(), Enrolment.objects.count(), AuditEvent.objects.count())
    page = _upload(client_for(world.facilitator_a), world.cohort_a, text)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Row 2, pseudonym: missing." in body
    assert "Row 3, email" in body and "Row 3, diagnosis_category" in body
    assert "allowed: back_spinal, fibromyalgia" in body
    assert "Row 4, format" in body and "in_person, online, hybrid" in body
    assert "Row 5, pseudonym" in body and "also on row 1" in body
    assert "Row 6, pseudonym" in body and "already in this group" in body
    assert "nothing was enrolled" in body and 'aria-describedby="err-file"' in body
    after = (Participant.objects.count(), Enrolment.objects.count(), AuditEvent.objects.count())
    assert after == before


def test_csv_enrol_rolls_back_when_an_action_refuses_a_row(world) -> None:  # type: ignore[no-untyped-def]
    """A problem only the action finds (the group was cancelled) also leaves nothing behind."""
    from balm.programmes.actions import change_cohort_status

    change_cohort_status(cohort=world.cohort_a, status="cancelled", by=None)
    before = (Participant.objects.count(), Enrolment.objects.count())
    page = _upload(client_for(world.facilitator_a), world.cohort_a, CSV_GOOD)
    assert page.status_code == 200 and b"Row 1, cohort" in page.content
    assert (Participant.objects.count(), Enrolment.objects.count()) == before


def test_csv_enrol_takes_phone_and_gp_as_the_form_does(world) -> None:  # type: ignore[no-untyped-def]
    """Optional phone and gp columns: stored as given, blank stays blank; a phone longer than
    the form's 40 characters is refused with row, column and the limit, nothing enrolled."""
    text = (
        "pseudonym,diagnosis_category,phone,gp\n"
        'G1,crps,01632 960001,"Dr Example, Riverside Surgery, 01632 960002"\n'
        "G2,crps,,\n"
    )
    page = _upload(client_for(world.facilitator_a), world.cohort_a, text)
    assert page.status_code == 302
    g1 = Participant.objects.get(site=world.site_a, pseudonym="G1")
    assert (g1.phone, g1.gp) == ("01632 960001", "Dr Example, Riverside Surgery, 01632 960002")
    g2 = Participant.objects.get(site=world.site_a, pseudonym="G2")
    assert (g2.phone, g2.gp) == ("", "")
    before = (Participant.objects.count(), Enrolment.objects.count())
    long_phone = "0" * 41
    bad = f"pseudonym,diagnosis_category,phone,gp\nG3,crps,{long_phone},\nG4,knee,,\n"
    page = _upload(client_for(world.facilitator_a), world.cohort_a, bad)
    body = page.content.decode()
    assert page.status_code == 200
    assert "Row 1, phone: longer than 40 characters." in body
    assert "Row 2, diagnosis_category" in body  # reported with the other, at once
    assert (Participant.objects.count(), Enrolment.objects.count()) == before
    form = client_for(world.facilitator_a).get(reverse("enrol-csv", args=[world.cohort_a.pk]))
    assert b"phone" in form.content and b"gp" in form.content


def test_csv_without_required_columns(world) -> None:  # type: ignore[no-untyped-def]
    page = _upload(client_for(world.facilitator_a), world.cohort_a, "name\nJo\n")
    assert b"no column pseudonym, diagnosis_category" in page.content


# --- status and links --------------------------------------------------------------------


def test_status_change_with_reason(world) -> None:  # type: ignore[no-untyped-def]
    url = reverse("enrolment", args=[world.enrolment_p1.pk])
    client = client_for(world.facilitator_a)
    assert client.post(url, {"status": "assessed"}).status_code == 302
    assert client.post(url, {"status": "started"}).status_code == 302
    no_reason = client.post(url, {"status": "withdrawn"})
    assert no_reason.status_code == 200 and b'id="err-reason"' in no_reason.content
    done = client.post(url, {"status": "withdrawn", "reason": "Moved away"})
    assert done.status_code == 302
    world.enrolment_p1.refresh_from_db()
    assert world.enrolment_p1.status == "withdrawn"
    page = client.get(reverse("cohort", args=[world.cohort_a.pk]))
    assert page.context["flow"].withdrawn == 1 and page.context["flow"].started == 1
    assert page.context["flow"].referred == 2


def test_withdrawal_reason_says_it_is_required(world) -> None:  # type: ignore[no-untyped-def]
    url = reverse("enrolment", args=[world.enrolment_p1.pk])
    page = client_for(world.facilitator_a).get(url)
    html = page.content.decode()
    assert "Reason (required for a withdrawal)" in html
    assert "Reason (required for a withdrawal) <span" not in html  # no "(optional)" after it
    refused = client_for(world.facilitator_a).post(url, {"status": "withdrawn"})
    assert b'id="err-reason"' in refused.content


def test_paper_entry_only_for_open_questionnaires(world) -> None:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    open_now = _phq9(world)
    Assessment.objects.filter(pk=open_now.pk).update(opens_on=today, closes_on=today)
    upcoming = world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="end")
    page = client_for(world.facilitator_a).get(reverse("enrolment", args=[world.enrolment_p1.pk]))
    html = page.content.decode()
    assert reverse("paper-entry", args=[open_now.pk]) in html
    assert reverse("paper-entry", args=[upcoming.pk]) not in html


def test_paper_entry_refuses_a_questionnaire_not_yet_open(world) -> None:  # type: ignore[no-untyped-def]
    """Not offered, and not accepted either: the page and a posted form both say when it
    opens, and nothing is stored."""
    upcoming = world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="end")
    assert upcoming.opens_on > timezone.localdate()
    url = reverse("paper-entry", args=[upcoming.pk])
    client = client_for(world.facilitator_a)
    page = client.get(url)
    assert page.status_code == 302
    assert page["Location"] == reverse("enrolment", args=[world.enrolment_p1.pk])
    shown = client.get(page["Location"]).content.decode()
    assert f"opens on {upcoming.opens_on:%A %-d %B %Y}" in shown
    answers = {f"q{i}": "1" for i in range(1, 10)}
    posted = client.post(url, {**answers, "client_id": "paper-early", "confirm": "on"})
    assert posted.status_code == 302
    assert not Response.objects.filter(assessment=upcoming).exists()


def test_a_late_paper_form_for_a_closed_questionnaire_is_entered(world) -> None:  # type: ignore[no-untyped-def]
    """Paper forms often come back after the window closed: staff are offered the entry for a
    missed questionnaire and it is stored as a staff paper entry."""
    today = timezone.localdate()
    missed = _phq9(world)
    Assessment.objects.filter(pk=missed.pk).update(
        opens_on=today - timedelta(days=20),
        due_on=today - timedelta(days=15),
        closes_on=today - timedelta(days=1),
    )
    client = client_for(world.facilitator_a)
    html = client.get(reverse("enrolment", args=[world.enrolment_p1.pk])).content.decode()
    assert reverse("paper-entry", args=[missed.pk]) in html
    answers = {f"q{i}": "1" for i in range(1, 10)}
    url = reverse("paper-entry", args=[missed.pk])
    posted = client.post(url, {**answers, "client_id": "paper-late", "confirm": "on"})
    assert posted.status_code == 302
    assert Response.objects.get(assessment=missed).entry_mode == "staff_paper"


def test_status_change_refuses_a_skipped_step(world) -> None:  # type: ignore[no-untyped-def]
    url = reverse("enrolment", args=[world.enrolment_p1.pk])
    page = client_for(world.facilitator_a).post(url, {"status": "completed"})
    assert page.status_code == 200 and b'id="err-status"' in page.content


def test_issue_and_revoke_a_personal_link(world) -> None:  # type: ignore[no-untyped-def]
    url = reverse("enrolment-link", args=[world.enrolment_p1.pk])
    client = client_for(world.facilitator_a)
    issued = client.post(url)
    # shown once on the page it redirects to, so a refresh issues nothing
    assert issued.status_code == 302
    page = client.get(issued.url)
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    link_url = page.context["new_link"]
    assert "/p/" in link_url and b"data-copy" in page.content
    again = client.get(issued.url)
    assert "new_link" not in again.context and link_url.encode() not in again.content
    link = ParticipantLink.objects.get(participant=world.p1)
    assert link.is_active()
    revoked = client.post(url, {"revoke": link.pk})
    assert revoked.status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None
    token_path = link_url[link_url.index("/p/") :]
    assert Client().get(token_path).status_code == 404


# --- sessions ----------------------------------------------------------------------------


def test_attendance_and_session_notes(world) -> None:  # type: ignore[no-untyped-def]
    session = world.cohort_a.sessions.get(number=1)
    client = client_for(world.facilitator_a)
    marks = {
        f"att-enrolment-{world.enrolment_p1.pk}": "present",
        f"att-enrolment-{world.enrolment_p2.pk}": "apologies",
    }
    assert client.post(reverse("session-attendance", args=[session.pk]), marks).status_code == 302
    assert dict(Attendance.objects.filter(session=session).values_list("enrolment_id", "mark")) == {
        world.enrolment_p1.pk: "present",
        world.enrolment_p2.pk: "apologies",
    }
    bad = client.post(
        reverse("session-attendance", args=[session.pk]),
        {f"att-enrolment-{world.enrolment_p1.pk}": "asleep"},
    )
    assert (
        bad.status_code == 200
        and f"err-att-enrolment-{world.enrolment_p1.pk}" in bad.content.decode()
    )
    new_date = timezone.localdate() + timedelta(days=2)
    notes = client.post(
        reverse("session", args=[session.pk]),
        {
            "date": new_date.isoformat(),
            "delivered_content": "Soothing rhythm breathing",
            "facilitator_feedback": "Good energy",
            "reflections": "Slow down next time",
        },
    )
    assert notes.status_code == 302
    session.refresh_from_db()
    assert session.date == new_date and session.reflections == "Slow down next time"
    page = client.get(reverse("cohort", args=[world.cohort_a.pk]))
    first = page.context["attendance"][0]
    assert (first["present"], first["absent"], first["apologies"]) == (1, 0, 1)


# --- creating a cohort -------------------------------------------------------------------


def test_create_cohort_from_template(world) -> None:  # type: ignore[no-untyped-def]
    client = client_for(world.facilitator_a)
    url = reverse("cohort-create")
    bad = client.post(url, {"site": world.site_a.pk, "name": "", "format": "carrier pigeon"})
    assert bad.status_code == 200
    for field in (b"err-name", b"err-format", b"err-start_date", b"err-template"):
        assert field in bad.content
    ok = client.post(
        url,
        {
            "site": world.site_a.pk,
            "template": factories.template().pk,
            "name": "Spring group",
            "start_date": "2026-03-02",
            "format": "online",
        },
    )
    assert ok.status_code == 302
    cohort = Cohort.objects.get(name="Spring group")
    assert cohort.site == world.site_a and cohort.sessions.count() == 12
    assert list(cohort.facilitators.all()) == [world.facilitator_a]
    assert cohort.sessions.get(number=2).date == date(2026, 3, 9)
    # a site the user has no clinical role at is not a choice
    other = client.post(
        url,
        {
            "site": world.site_b.pk,
            "template": factories.template().pk,
            "name": "Elsewhere",
            "start_date": "2026-03-02",
            "format": "online",
        },
    )
    assert other.status_code == 200 and not Cohort.objects.filter(name="Elsewhere").exists()


# --- dashboard ---------------------------------------------------------------------------


def test_completion_rates_are_computed() -> None:
    rates = {
        c.timepoint: c
        for c in completion_rates(
            [
                ("baseline", "complete"),
                ("baseline", "complete"),
                ("baseline", "missed"),
                ("baseline", "due"),
                ("baseline", "withdrawn"),
                ("mid", "upcoming"),
            ]
        )
    }
    assert (rates["baseline"].complete, rates["baseline"].expected) == (2, 4)
    assert rates["baseline"].percent == "50%"
    assert rates["mid"].rate is None and rates["mid"].percent == "—"


def test_dashboard_due_overdue_rates_alerts_and_scores(world) -> None:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    Assessment.objects.filter(timepoint="baseline").update(
        opens_on=today - timedelta(days=10), due_on=today - timedelta(days=1)
    )
    submit_response(
        assessment=_phq9(world),
        answers={**factories.PHQ9_ZEROS, "q9": 1},
        client_id=factories.client_id(),
        by=world.p1,
    )
    page = client_for(world.facilitator_a).get(reverse("cohort", args=[world.cohort_a.pk]))
    ctx = page.context
    baseline = next(c for c in ctx["completion"] if c.timepoint == "baseline")
    total_baseline = Assessment.objects.filter(
        enrolment__cohort=world.cohort_a, timepoint="baseline"
    ).count()
    assert (baseline.complete, baseline.expected) == (1, total_baseline)
    assert len(ctx["overdue"]) == total_baseline - 1
    assert all(a.due_on < today for a in ctx["overdue"])
    assert len(ctx["alerts"]) == 1 and b"item q9" in page.content
    # the participants table shows the measure by name and its band in words (no change yet:
    # one answer only), never raw keys like "total_band"
    p1_row = next(r for r in ctx["rows"] if r["enrolment"] == world.enrolment_p1)
    assert p1_row["changes"] == [
        {
            "measure": "PHQ-9",
            "first": "1",
            "score": "1",
            "change": "0",
            "band": "Minimal",
            "category": "",
            "words": "Baseline only",
        }
    ]
    assert b"total_band" not in page.content
    # a researcher sees the dashboard without alerts (clinical staff only)
    seen = client_for(world.researcher_a).get(reverse("cohort", args=[world.cohort_a.pk]))
    assert len(seen.context["alerts"]) == 0
