"""Erasure on request and a participant's own copy of their data, for every persona."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from tests.web import factories

from balm.accounts.actions import issue_participant_link
from balm.accounts.erasure import erase_participant
from balm.accounts.errors import NotAllowed
from balm.accounts.models import Participant, ParticipantLink
from balm.audit.models import AuditEvent
from balm.audit.verify import first_broken_links
from balm.outcomes import actions
from balm.outcomes.export import scores_frame
from balm.outcomes.models import CheckIn, Response
from balm.programmes.models import Enrolment

pytestmark = pytest.mark.django_db


client_for = factories.client_for


def _answer(world) -> Response:  # type: ignore[no-untyped-def]
    phq9 = world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="baseline")
    return actions.submit_response(
        assessment=phq9,
        answers=factories.PHQ9_ZEROS,
        client_id=factories.client_id(),
        by=world.p1,
    )


def _export_text(world) -> str:  # type: ignore[no-untyped-def]
    frame = scores_frame(Enrolment.objects.filter(cohort=world.cohort_a), bands=False, items=True)
    return frame.to_csv(index=False)


def test_only_the_sites_administrator_may_erase(world) -> None:  # type: ignore[no-untyped-def]
    url = reverse("erase-participant", args=[world.p1.pk])
    assert client_for(world.admin_a).get(url).status_code == 200
    for user in (world.facilitator_a, world.facilitator_b, world.researcher_a, world.p1_user):
        assert client_for(user).get(url).status_code == 404, user
        assert client_for(user).post(url, {"confirm": "P1"}).status_code == 404, user
    assert client_for(None).get(url).status_code == 302
    with pytest.raises(NotAllowed):
        erase_participant(participant=world.p1, by=world.facilitator_a, keep_research_data=False)
    assert Participant.objects.get(pk=world.p1.pk).name == "Pat One"


def test_a_wrong_confirmation_erases_nothing(world) -> None:  # type: ignore[no-untyped-def]
    url = reverse("erase-participant", args=[world.p1.pk])
    page = client_for(world.admin_a).post(url, {"confirm": "P2"})
    assert page.status_code == 422 and "not this participant" in page.content.decode()
    assert Participant.objects.get(pk=world.p1.pk).pseudonym == "P1"


def test_erasure_without_consent_removes_identifiers_and_answers(world) -> None:  # type: ignore[no-untyped-def]
    response = _answer(world)
    issue_participant_link(participant=world.p1, by=world.facilitator_a)
    assert "P1" in _export_text(world)
    page = client_for(world.admin_a).post(
        reverse("erase-participant", args=[world.p1.pk]), {"confirm": "P1"}
    )
    assert page.status_code == 302
    person = Participant.objects.get(pk=world.p1.pk)
    assert (person.name, person.email, person.pseudonym) == ("", "", f"erased-{person.pk}")
    assert person.user is None and not ParticipantLink.objects.filter(participant=person)
    world.p1_user.refresh_from_db()
    assert not world.p1_user.is_active and world.p1_user.username.startswith("erased-user-")
    assert not Response.objects.filter(pk=response.pk).exists()
    text = _export_text(world)
    assert "P1" not in text.split() and "Pat One" not in text
    event = AuditEvent.objects.get(action="participant.erase")
    blob = json.dumps(event.details)
    assert "P1" not in blob and "Pat One" not in blob and event.details["erased"]["responses"] == 1
    assert first_broken_links()[1] == []  # the chain survives the erasure


def test_with_consent_the_pseudonymised_research_data_may_stay(world) -> None:  # type: ignore[no-untyped-def]
    Enrolment.objects.filter(pk=world.enrolment_p1.pk).update(consent_recorded_on="2026-01-05")
    response = _answer(world)
    client_for(world.admin_a).post(
        reverse("erase-participant", args=[world.p1.pk]),
        {"confirm": "P1", "keep_research_data": "on"},
    )
    assert Response.objects.filter(pk=response.pk).exists()
    text = _export_text(world)
    assert f"erased-{world.p1.pk}" in text and "Pat One" not in text


def test_a_participant_downloads_their_own_data(world) -> None:  # type: ignore[no-untyped-def]
    _answer(world)
    actions.submit_checkin(
        enrolment=world.enrolment_p1,
        week=1,
        answers={"q1": 6, "q2": 5, "q3": 4, "q4": 5, "q5": 7, "q6": 30, "q7": "breathing"},
        client_id=factories.client_id(),
        note="a better week",
        by=world.p1,
    )
    mine = client_for(world.p1_user)
    page = mine.get(reverse("my-data"))
    assert page.status_code == 200 and "Pat One" in page.content.decode()
    assert "Sam Two" not in page.content.decode()
    data = json.loads(mine.get(reverse("my-data-json")).content)
    assert data["participant"]["pseudonym"] == "P1"
    assert [q["instrument_id"] for q in data["questionnaires"]] == ["phq9"]
    assert data["questionnaires"][0]["answers"] == factories.PHQ9_ZEROS
    assert [(c["week"], c["scores"]["mood"], c["note"]) for c in data["checkins"]] == [
        (1, 6.0, "a better week")
    ]
    assert reverse("my-data") in mine.get(reverse("my-progress")).content.decode()
    for user in (world.facilitator_a, world.admin_a, world.researcher_a, None):
        assert client_for(user).get(reverse("my-data-json")).status_code == 404, user
    assert CheckIn.objects.count() == 1


# --- retention ----------------------------------------------------------------------------


def _finish(enrolment, on) -> None:  # type: ignore[no-untyped-def]
    from balm.programmes.actions import change_enrolment_status
    from balm.programmes.models import EnrolmentStatusChange

    EnrolmentStatusChange.objects.filter(enrolment=enrolment).update(on=on)  # referred then
    for status in ("assessed", "started"):
        change_enrolment_status(enrolment=enrolment, status=status, on=on, by=None)
    change_enrolment_status(enrolment=enrolment, status="completed", on=on, by=None)


def test_retention_removes_identifiers_after_the_sites_period(world) -> None:  # type: ignore[no-untyped-def]
    import io
    from datetime import date

    from django.core.management import call_command

    from balm.accounts.erasure import apply_retention

    world.site_a.retention_years = 8
    world.site_a.save()
    Enrolment.objects.filter(pk=world.enrolment_p1.pk).update(consent_recorded_on="2010-01-04")
    response = _answer(world)
    _finish(world.enrolment_p1, date(2010, 3, 29))  # P1 ended 2010-03-29
    # P2's programme is still running: never touched.
    assert apply_retention(today=date(2018, 3, 29)) == []  # 8 years to the day: not yet past
    dry = apply_retention(today=date(2018, 3, 30), dry_run=True)
    assert dry == ["site-a P1: programme ended 2010-03-29; would remove identifiers"]
    assert Participant.objects.get(pk=world.p1.pk).name == "Pat One"
    out = io.StringIO()
    call_command("apply_retention", stdout=out)  # today is long after 2018
    assert "1 participant(s) changed." in out.getvalue()
    person = Participant.objects.get(pk=world.p1.pk)
    assert (person.name, person.email) == ("", "") and person.pseudonym.startswith("erased-")
    assert Response.objects.filter(pk=response.pk).exists()  # consent: research data stays
    assert Participant.objects.get(pk=world.p2.pk).name == "Sam Two"
    assert AuditEvent.objects.filter(action="participant.retention", actor=None).count() == 1
    again = io.StringIO()
    call_command("apply_retention", stdout=again)
    assert "0 participant(s) changed." in again.getvalue()


def test_the_worker_timer_applies_retention(world) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from balm.outcomes.reminders import ReminderSchedule

    world.site_a.retention_years = 1
    world.site_a.save()
    _answer(world)
    _finish(world.enrolment_p1, date(2020, 1, 6))
    ReminderSchedule(900).tick()
    assert Participant.objects.get(pk=world.p1.pk).pseudonym.startswith("erased-")
    assert not Response.objects.filter(assessment__enrolment=world.enrolment_p1).exists()


def test_the_enrolment_page_offers_erasure_to_administrators_only(world) -> None:  # type: ignore[no-untyped-def]
    url = reverse("enrolment", args=[world.enrolment_p1.pk])
    erase_url = reverse("erase-participant", args=[world.p1.pk])
    assert erase_url in client_for(world.admin_a).get(url).content.decode()
    assert erase_url not in client_for(world.facilitator_a).get(url).content.decode()
