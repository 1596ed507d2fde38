"""Writes that would be accepted but record nothing meaningful are refused with the reason
(issue #8, section 1): questionnaires that score nothing, check-ins with unknown keys or for a
withdrawn participant, staff claiming "online", drafts thrown away by someone else's write,
empty attendance, notes or status changes. Each test fails on the code before the fix.

Expected scores are worked by hand from the catalogue's rules (named in each test).
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from tests.web import factories

from balm.accounts.errors import InvalidInput, NotAllowed
from balm.api.actions import issue_api_token
from balm.audit.models import AuditEvent
from balm.outcomes import actions
from balm.outcomes.export import scores_frame
from balm.outcomes.models import Assessment, CheckIn, Draft, Response
from balm.outcomes.status import AssessmentStatus
from balm.programmes import actions as programme_actions
from balm.programmes.models import Session
from balm.web.views.dashboard import completion_rates

pytestmark = pytest.mark.django_db

CHECKIN = {"q1": 6, "q2": 5, "q3": 4, "q4": 5, "q5": 7, "q6": 20}


def baseline(enrolment, instrument_id="phq9") -> Assessment:  # type: ignore[no-untyped-def]
    return enrolment.assessments.get(instrument_id=instrument_id, timepoint="baseline")


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def bearer(user) -> tuple[Client, object]:  # type: ignore[no-untyped-def]
    token, secret = issue_api_token(user=user, name="test", by=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}"), token


def post_json(client: Client, url: str, body: dict):  # type: ignore[no-untyped-def]
    return client.post(url, data=json.dumps(body), content_type="application/json")


def messages_of(error: InvalidInput) -> str:
    return " ".join(problem.message for problem in error.problems)


# --- questionnaires that score nothing ----------------------------------------------------


@pytest.mark.parametrize("mode", ["staff_paper", "import"])
def test_a_questionnaire_with_no_answers_is_refused(world, mode) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as caught:
        actions.submit_response(
            assessment=baseline(world.enrolment_p1),
            answers={},
            client_id=factories.client_id(),
            entry_mode=mode,
            by=world.facilitator_a,
        )
    assert "Too few answers to give any score for PHQ-9" in messages_of(caught.value)
    assert Response.objects.count() == 0


def test_too_few_answers_for_the_missing_item_rule_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    """PHQ-9 scores with at most 2 of 9 items blank (phq9.yaml ``max_missing: 2``): six
    answers leave three blank, so no score, and the message says 7 of 9 are needed."""
    with pytest.raises(InvalidInput) as caught:
        actions.submit_response(
            assessment=baseline(world.enrolment_p1),
            answers={f"q{i}": 1 for i in range(1, 7)},
            client_id=factories.client_id(),
            entry_mode="staff_paper",
            by=world.facilitator_a,
        )
    assert "7 of 9 (6 answered)" in messages_of(caught.value)
    assert Response.objects.count() == 0


def test_enough_answers_are_scored_and_prorated(world) -> None:  # type: ignore[no-untyped-def]
    """Seven answers of 1 (two blank): sum 7, prorated 7 x 9 / 7 = 9 (phq9.yaml's rule),
    band mild (5-9, Kroenke, Spitzer & Williams 2001)."""
    response = actions.submit_response(
        assessment=baseline(world.enrolment_p1),
        answers={f"q{i}": 1 for i in range(1, 8)},
        client_id=factories.client_id(),
        entry_mode="staff_paper",
        by=world.facilitator_a,
    )
    assert response.scores == {"total": 9.0, "total_band": "mild"}


def test_one_scorable_scale_is_enough(world) -> None:  # type: ignore[no-untyped-def]
    """DASS-21 with only the depression items (3, 5, 10, 13, 16, 17, 21; dass21.yaml) answered
    1 each: depression = 2 x 7 = 14 (doubled sum); anxiety and stress stay unscored."""
    depression = (3, 5, 10, 13, 16, 17, 21)
    response = actions.submit_response(
        assessment=baseline(world.enrolment_p1, "dass21"),
        answers={f"q{i}": 1 for i in depression},
        client_id=factories.client_id(),
        entry_mode="staff_paper",
        by=world.facilitator_a,
    )
    assert response.scores["depression"] == 14.0
    assert response.scores["anxiety"] is None and response.scores["stress"] is None


def test_api_import_with_no_answers_is_a_422(world) -> None:  # type: ignore[no-untyped-def]
    client, _ = bearer(world.facilitator_a)
    answer = post_json(
        client,
        "/api/responses",
        {
            "assessment_id": baseline(world.enrolment_p1).pk,
            "answers": {},
            "client_id": str(uuid.uuid4()),
            "entry_mode": "import",
        },
    )
    assert answer.status_code == 422, answer.content
    assert "Too few answers" in answer.content.decode()
    assert Response.objects.count() == 0


def test_paper_entry_page_with_nothing_ticked_saves_nothing(world) -> None:  # type: ignore[no-untyped-def]
    assessment = baseline(world.enrolment_p1)
    page = client_for(world.facilitator_a).post(
        reverse("paper-entry", args=[assessment.pk]),
        {"client_id": uuid.uuid4().hex, "confirm": "on"},
    )
    assert page.status_code == 200
    assert "Too few answers to give any score" in page.content.decode()
    assert Response.objects.count() == 0


def test_an_amendment_that_scores_nothing_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    response = actions.submit_response(
        assessment=baseline(world.enrolment_p1),
        answers=factories.PHQ9_ZEROS,
        client_id=factories.client_id(),
        by=world.p1,
    )
    with pytest.raises(InvalidInput):
        actions.amend_response(
            response=response, answers={}, reason="typed wrongly", by=world.facilitator_a
        )
    response.refresh_from_db()
    assert response.scores["total"] == 0.0 and response.amendments.count() == 0


# --- drafts -------------------------------------------------------------------------------


def test_a_staff_entry_keeps_the_participants_draft(world) -> None:  # type: ignore[no-untyped-def]
    assessment = baseline(world.enrolment_p1)
    actions.save_draft_answers(assessment=assessment, answers={"q1": 2, "q2": 1}, by=world.p1)
    page = client_for(world.facilitator_a).get(reverse("paper-entry", args=[assessment.pk]))
    assert "started this online (2 answers saved" in page.content.decode()
    actions.submit_response(
        assessment=assessment,
        answers=factories.PHQ9_ZEROS,
        client_id=factories.client_id(),
        entry_mode="staff_paper",
        by=world.facilitator_a,
    )
    assert Draft.objects.get(assessment=assessment).answers == {"q1": 2, "q2": 1}


def test_the_participants_own_submission_replaces_their_draft(world) -> None:  # type: ignore[no-untyped-def]
    assessment = baseline(world.enrolment_p1)
    actions.save_draft_answers(assessment=assessment, answers={"q1": 2}, by=world.p1)
    actions.submit_response(
        assessment=assessment,
        answers=factories.PHQ9_ZEROS,
        client_id=factories.client_id(),
        by=world.p1,
    )
    assert not Draft.objects.filter(assessment=assessment).exists()


def test_an_empty_draft_save_writes_nothing(world) -> None:  # type: ignore[no-untyped-def]
    assessment = baseline(world.enrolment_p1)
    actions.save_draft_answers(assessment=assessment, answers={}, by=world.p1)
    assert not Draft.objects.exists()
    assert not AuditEvent.objects.filter(action="draft.save").exists()


def test_a_draft_key_that_is_no_item_is_refused_even_blank(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as caught:
        actions.save_draft_answers(
            assessment=baseline(world.enrolment_p1), answers={"mood": None}, by=world.p1
        )
    assert [p.field for p in caught.value.problems] == ["mood"]
    assert not Draft.objects.exists()


# --- check-ins ----------------------------------------------------------------------------


def test_a_checkin_with_unknown_keys_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as caught:
        actions.submit_checkin(
            enrolment=world.enrolment_p1,
            week=1,
            answers={"mood": "", "pain": None},
            client_id=factories.client_id(),
            entry_mode="staff_paper",
            by=world.facilitator_a,
        )
    fields = {p.field for p in caught.value.problems}
    assert {"mood", "pain"} <= fields
    assert CheckIn.objects.count() == 0


def test_a_checkin_that_scores_nothing_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as caught:
        actions.submit_checkin(
            enrolment=world.enrolment_p1,
            week=1,
            answers={"q8": "a note only"},
            client_id=factories.client_id(),
            entry_mode="staff_paper",
            by=world.facilitator_a,
        )
    assert "Too few answers" in messages_of(caught.value)
    assert CheckIn.objects.count() == 0


@pytest.mark.parametrize("who", ["participant", "staff"])
def test_a_checkin_for_a_withdrawn_participant_is_refused(world, who) -> None:  # type: ignore[no-untyped-def]
    programme_actions.change_enrolment_status(
        enrolment=world.enrolment_p1, status="withdrawn", reason="moved away", by=None
    )
    by = world.p1 if who == "participant" else world.facilitator_a
    with pytest.raises(InvalidInput) as caught:
        actions.submit_checkin(
            enrolment=world.enrolment_p1,
            week=1,
            answers=CHECKIN,
            client_id=factories.client_id(),
            by=by,
        )
    assert "left the programme" in messages_of(caught.value)
    assert CheckIn.objects.count() == 0


def test_api_checkin_with_unknown_keys_is_a_422(world) -> None:  # type: ignore[no-untyped-def]
    client, _ = bearer(world.facilitator_a)
    answer = post_json(
        client,
        "/api/checkins",
        {
            "enrolment_id": world.enrolment_p1.pk,
            "week": 1,
            "answers": {"mood": None},
            "client_id": str(uuid.uuid4()),
            "entry_mode": "import",
        },
    )
    assert answer.status_code == 422
    assert CheckIn.objects.count() == 0


# --- the entry mode follows from the sender -----------------------------------------------


def test_a_staff_token_cannot_claim_the_participant_answered_online(world) -> None:  # type: ignore[no-untyped-def]
    client, _ = bearer(world.facilitator_a)
    answer = post_json(
        client,
        "/api/responses",
        {
            "assessment_id": baseline(world.enrolment_p1).pk,
            "answers": factories.PHQ9_ZEROS,
            "client_id": str(uuid.uuid4()),
            "entry_mode": "participant_online",
        },
    )
    assert answer.status_code == 422
    assert answer.json()["problems"][0]["field"] == "entry_mode"
    assert Response.objects.count() == 0


def test_a_staff_token_is_recorded_with_the_response(world) -> None:  # type: ignore[no-untyped-def]
    client, token = bearer(world.facilitator_a)
    answer = post_json(
        client,
        "/api/responses",
        {
            "assessment_id": baseline(world.enrolment_p1).pk,
            "answers": factories.PHQ9_ZEROS,
            "client_id": str(uuid.uuid4()),
        },
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["entry_mode"] == "staff_paper"
    stored = Response.objects.get()
    assert (stored.entry_mode, stored.entered_by, stored.api_token) == (
        "staff_paper",
        world.facilitator_a,
        token,
    )


def test_a_staff_token_is_recorded_with_the_checkin(world) -> None:  # type: ignore[no-untyped-def]
    client, token = bearer(world.facilitator_a)
    body = {
        "enrolment_id": world.enrolment_p1.pk,
        "week": 1,
        "answers": CHECKIN,
        "client_id": str(uuid.uuid4()),
        "entry_mode": "import",
    }
    assert post_json(client, "/api/checkins", body).status_code == 201
    stored = CheckIn.objects.get()
    assert (stored.entry_mode, stored.entered_by, stored.api_token) == (
        "import",
        world.facilitator_a,
        token,
    )
    body["entry_mode"] = "participant_online"
    body["client_id"] = str(uuid.uuid4())
    body["week"] = 2
    assert post_json(client, "/api/checkins", body).status_code == 422


def test_a_participant_is_recorded_online_and_cannot_claim_an_import(world) -> None:  # type: ignore[no-untyped-def]
    client, token = bearer(world.p1_user)
    body = {
        "assessment_id": baseline(world.enrolment_p1).pk,
        "answers": factories.PHQ9_ZEROS,
        "client_id": str(uuid.uuid4()),
        "entry_mode": "import",
    }
    refused = post_json(client, "/api/responses", body)
    assert refused.status_code == 422 and refused.json()["problems"][0]["field"] == "entry_mode"
    del body["entry_mode"]
    assert post_json(client, "/api/responses", body).status_code == 201
    stored = Response.objects.get()
    assert (stored.entry_mode, stored.entered_by, stored.api_token) == (
        "participant_online",
        world.p1_user,
        token,
    )


def test_a_staff_action_cannot_claim_online(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as caught:
        actions.submit_response(
            assessment=baseline(world.enrolment_p1),
            answers=factories.PHQ9_ZEROS,
            client_id=factories.client_id(),
            entry_mode="participant_online",
            by=world.facilitator_a,
        )
    assert caught.value.problems[0].field == "entry_mode"


# --- not returned / declined --------------------------------------------------------------


def test_declined_is_an_outcome_not_a_response(world) -> None:  # type: ignore[no-untyped-def]
    assessment = baseline(world.enrolment_p1)
    actions.record_assessment_outcome(
        assessment=assessment, outcome="declined", note="prefers not to", by=world.facilitator_a
    )
    assessment.refresh_from_db()
    today = timezone.localdate()
    assert assessment.status_on(today) is AssessmentStatus.DECLINED
    annotated = Assessment.objects.with_status(today).get(pk=assessment.pk)
    assert annotated.current_status == "declined"
    assert not Assessment.objects.open_on(today).filter(pk=assessment.pk).exists()
    event = AuditEvent.objects.get(action="assessment.outcome")
    assert event.details["outcome"] == "declined"
    # Expected, not complete: 1 declined of 1 expected at baseline is 0 complete.
    rates = {c.timepoint: c for c in completion_rates([("baseline", annotated.current_status)])}
    assert (rates["baseline"].complete, rates["baseline"].expected) == (0, 1)
    # Not a response, so not in the export: p2's PHQ-9 is the only baseline row.
    actions.submit_response(
        assessment=baseline(world.enrolment_p2),
        answers=factories.PHQ9_ZEROS,
        client_id=factories.client_id(),
        by=world.p2,
    )
    frame = scores_frame([world.enrolment_p1, world.enrolment_p2])
    assert list(frame["participant"]) == ["P2"]
    # Answers are refused until the outcome is cleared, then accepted.
    with pytest.raises(InvalidInput) as caught:
        actions.submit_response(
            assessment=assessment,
            answers=factories.PHQ9_ZEROS,
            client_id=factories.client_id(),
            by=world.facilitator_a,
        )
    assert "recorded as declined" in messages_of(caught.value)
    actions.record_assessment_outcome(assessment=assessment, outcome="", by=world.facilitator_a)
    assessment.refresh_from_db()
    actions.submit_response(
        assessment=assessment,
        answers=factories.PHQ9_ZEROS,
        client_id=factories.client_id(),
        by=world.facilitator_a,
    )


def test_an_outcome_is_refused_after_a_response_or_when_unchanged(world) -> None:  # type: ignore[no-untyped-def]
    assessment = baseline(world.enrolment_p1)
    with pytest.raises(InvalidInput):
        actions.record_assessment_outcome(assessment=assessment, outcome="", by=world.facilitator_a)
    with pytest.raises(InvalidInput):
        actions.record_assessment_outcome(
            assessment=assessment, outcome="lost", by=world.facilitator_a
        )
    actions.submit_response(
        assessment=assessment,
        answers=factories.PHQ9_ZEROS,
        client_id=factories.client_id(),
        by=world.p1,
    )
    with pytest.raises(InvalidInput):
        actions.record_assessment_outcome(
            assessment=assessment, outcome="not_returned", by=world.facilitator_a
        )
    assert not AuditEvent.objects.filter(action="assessment.outcome").exists()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("facilitator_a", 302),
        ("admin_a", 302),
        ("facilitator_b", 404),
        ("researcher_a", 403),
        ("p1_user", 404),
        (None, 302),
    ],
)
def test_outcome_page_personas(world, persona, expected) -> None:  # type: ignore[no-untyped-def]
    assessment = baseline(world.enrolment_p1)
    client = client_for(getattr(world, persona)) if persona else Client()
    page = client.post(
        reverse("assessment-outcome", args=[assessment.pk]), {"outcome": "not_returned"}
    )
    assert page.status_code == expected
    assessment.refresh_from_db()
    recorded = persona in ("facilitator_a", "admin_a")
    assert assessment.outcome == ("not_returned" if recorded else "")
    if persona is None:
        assert "/login" in page["Location"] or "login" in page["Location"]


def test_researcher_cannot_record_an_outcome(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotAllowed):
        actions.record_assessment_outcome(
            assessment=baseline(world.enrolment_p1), outcome="declined", by=world.researcher_a
        )


# --- the other write paths ----------------------------------------------------------------


def test_attendance_with_no_marks_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    session = world.cohort_a.sessions.get(number=1)
    with pytest.raises(InvalidInput):
        programme_actions.record_attendance(session=session, marks={}, by=world.facilitator_a)
    assert not AuditEvent.objects.filter(action="session.attendance").exists()


def test_session_notes_that_change_nothing_write_nothing(world) -> None:  # type: ignore[no-untyped-def]
    session = world.cohort_a.sessions.get(number=1)
    programme_actions.record_session_notes(
        session=session,
        by=world.facilitator_a,
        date=session.date,
        delivered_content=session.delivered_content,
    )
    assert not AuditEvent.objects.filter(action="session.notes").exists()
    programme_actions.record_session_notes(
        session=session, by=world.facilitator_a, reflections="went well"
    )
    event = AuditEvent.objects.get(action="session.notes")
    assert event.details["fields"] == ["reflections"]
    assert Session.objects.get(pk=session.pk).reflections == "went well"


def test_a_cohort_status_change_to_the_same_status_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput):
        programme_actions.change_cohort_status(
            cohort=world.cohort_a, status=world.cohort_a.status, by=world.facilitator_a
        )
    assert not AuditEvent.objects.filter(action="cohort.status").exists()
