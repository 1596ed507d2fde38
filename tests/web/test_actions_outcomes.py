"""Actions on questionnaires, check-ins and alerts, against the real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from tests.web import factories

from balm.accounts.errors import InvalidInput, NotAllowed
from balm.audit.models import AuditEvent
from balm.instruments import SCORER_VERSION, get_instrument
from balm.outcomes import actions
from balm.outcomes.models import (
    CheckIn,
    Draft,
    Response,
    ResponseAmendment,
    SafetyAlert,
)

pytestmark = pytest.mark.django_db

ZEROS = factories.PHQ9_ZEROS


def baseline(enrolment, instrument_id="phq9"):  # type: ignore[no-untyped-def]
    return enrolment.assessments.get(instrument_id=instrument_id, timepoint="baseline")


def test_enrolment_schedules_assessments_from_template(world) -> None:  # type: ignore[no-untyped-def]
    ids = set(world.enrolment_p1.assessments.values_list("instrument_id", "timepoint"))
    assert ("phq9", "baseline") in ids
    assert ("phq9", "follow_up") in ids
    assert ("gad7", "mid") in ids
    due = baseline(world.enrolment_p1).due_on
    assert due == world.cohort_a.start_date


def test_each_scheduled_questionnaire_once_with_its_window(world) -> None:  # type: ignore[no-untyped-def]
    """One questionnaire per instrument and timepoint of the template, in one INSERT; a second
    scheduling adds none. Windows (balm.outcomes.scheduling): opens 7 days before it is due,
    due at week w of the start, closes 14 days after (21 at the end, 28 at follow-up)."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from balm.outcomes.scheduling import schedule_assessments

    enrolment = world.enrolment_p1
    entries = {
        (e.instrument_id, e.timepoint): e.week for e in world.cohort_a.template.schedule.all()
    }
    got = {(a.instrument_id, a.timepoint): a for a in enrolment.assessments.all()}
    assert set(got) == set(entries) and len(got) == enrolment.assessments.count()
    start = world.cohort_a.start_date
    closes_after = {"baseline": 14, "mid": 14, "end": 21, "follow_up": 28}
    for (instrument, timepoint), a in got.items():
        due = start + timedelta(days=7 * entries[instrument, timepoint])
        assert (a.week, a.due_on) == (entries[instrument, timepoint], due), (instrument, timepoint)
        assert a.opens_on == due - timedelta(days=7)
        assert a.closes_on == due + timedelta(days=closes_after[timepoint])
    event = AuditEvent.objects.get(action="enrolment.create", object_id=str(enrolment.pk))
    assert event.details["assessments"] == len(entries)
    with CaptureQueriesContext(connection) as queries:
        created, skipped = schedule_assessments(enrolment)
    assert created == [] and skipped == [] and enrolment.assessments.count() == len(entries)
    assert not any(q["sql"].startswith("INSERT") for q in queries.captured_queries)


def test_submit_scores_through_the_engine(world) -> None:  # type: ignore[no-untyped-def]
    answers = {f"q{i}": 2 for i in range(1, 10)}
    response = actions.submit_response(
        assessment=baseline(world.enrolment_p1),
        answers=answers,
        client_id=factories.client_id(),
        by=world.p1,
    )
    response.refresh_from_db()
    assert response.scores == {"total": 18.0, "total_band": "moderately_severe"}
    assert response.answers == answers
    assert response.instrument_version == get_instrument("phq9").version
    assert response.scorer_version == SCORER_VERSION
    assert response.entry_mode == "participant_online"
    assert response.entered_by is None
    assert AuditEvent.objects.filter(action="response.submit", actor_participant=world.p1).exists()


def test_submit_is_idempotent_on_client_id(world) -> None:  # type: ignore[no-untyped-def]
    cid = factories.client_id()
    kwargs = dict(
        assessment=baseline(world.enrolment_p1), answers=ZEROS, client_id=cid, by=world.p1
    )
    first = actions.submit_response(**kwargs)
    second = actions.submit_response(**kwargs)
    assert first.pk == second.pk
    assert Response.objects.count() == 1
    assert AuditEvent.objects.filter(action="response.submit").count() == 1


def test_client_id_cannot_be_reused_for_another_form(world) -> None:  # type: ignore[no-untyped-def]
    cid = factories.client_id()
    actions.submit_response(
        assessment=baseline(world.enrolment_p1), answers=ZEROS, client_id=cid, by=world.p1
    )
    gad7 = {f"q{i}": 0 for i in range(1, 8)}
    with pytest.raises(InvalidInput) as error:
        actions.submit_response(
            assessment=baseline(world.enrolment_p1, "gad7"),
            answers=gad7,
            client_id=cid,
            by=world.p1,
        )
    assert error.value.problems[0].field == "client_id"


def test_second_submission_of_an_assessment_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    assessment = baseline(world.enrolment_p1)
    actions.submit_response(
        assessment=assessment, answers=ZEROS, client_id=factories.client_id(), by=world.p1
    )
    with pytest.raises(InvalidInput, match="already sent"):
        actions.submit_response(
            assessment=assessment, answers=ZEROS, client_id=factories.client_id(), by=world.p1
        )


def test_all_problems_reported_at_once(world) -> None:  # type: ignore[no-untyped-def]
    answers = {"q1": 7, "q2": "often", "q4": 1, "q10": 1}
    with pytest.raises(InvalidInput) as error:
        actions.submit_response(
            assessment=baseline(world.enrolment_p1), answers=answers, client_id="", by=world.p1
        )
    fields = [p.field for p in error.value.problems]
    # missing q3, q5..q9; bad q1, q2; unknown q10; missing client id: all in one go
    for field in ["q1", "q2", "q3", "q5", "q6", "q7", "q8", "q9", "q10", "client_id"]:
        assert field in fields, field
    assert Response.objects.count() == 0


def test_participant_online_must_answer_every_item(world) -> None:  # type: ignore[no-untyped-def]
    answers = {**ZEROS, "q3": ""}
    with pytest.raises(InvalidInput) as error:
        actions.submit_response(
            assessment=baseline(world.enrolment_p1),
            answers=answers,
            client_id=factories.client_id(),
            by=world.p1,
        )
    assert error.value.by_field() == {"q3": ["Please answer this question."]}


def test_blank_answers_are_missing_not_zero(world) -> None:  # type: ignore[no-untyped-def]
    # A paper form with one blank: stored blank, and the total is prorated (x 9/8), which a
    # zero would not give.
    answers = {**{f"q{i}": 2 for i in range(1, 10)}, "q4": ""}
    response = actions.submit_response(
        assessment=baseline(world.enrolment_p1),
        answers=answers,
        client_id=factories.client_id(),
        entry_mode="staff_paper",
        by=world.facilitator_a,
    )
    response.refresh_from_db()
    assert response.answers["q4"] is None
    assert response.scores["total"] == pytest.approx(16 * 9 / 8)
    assert response.entered_by == world.facilitator_a


def test_too_many_blanks_give_no_score_and_are_refused(world) -> None:  # type: ignore[no-untyped-def]
    """Three of nine blank is over PHQ-9's limit of two, so no score: nothing to record."""
    answers = {"q1": 1, "q2": 1, "q3": 1, "q4": 1, "q5": 1, "q6": 1}
    with pytest.raises(InvalidInput):
        actions.submit_response(
            assessment=baseline(world.enrolment_p1),
            answers=answers,
            client_id=factories.client_id(),
            entry_mode="staff_paper",
            by=world.facilitator_a,
        )
    assert not Response.objects.exists()


def test_safety_alert_raised_for_phq9_item9_above_zero(
    world,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = actions.submit_response(
            assessment=baseline(world.enrolment_p1),
            answers={**ZEROS, "q9": 1},
            client_id=factories.client_id(),
            by=world.p1,
        )
    alert = SafetyAlert.objects.get(response=response)
    assert (alert.item, alert.value, alert.is_open) == ("q9", 1.0, True)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.facilitator_a.email]
    assert "P1" in message.subject
    assert f"/alerts/{alert.pk}/" in message.body
    assert "Pat One" not in message.body  # no names in e-mail


def test_no_safety_alert_for_item9_zero(world, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        actions.submit_response(
            assessment=baseline(world.enrolment_p1),
            answers=ZEROS,
            client_id=factories.client_id(),
            by=world.p1,
        )
    assert SafetyAlert.objects.count() == 0
    assert mail.outbox == []


def test_error_mid_way_leaves_nothing_written(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assessment = baseline(world.enrolment_p1)
    actions.save_draft_answers(assessment=assessment, answers={"q1": 1}, by=world.p1)

    def broken_audit(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(actions, "record", broken_audit)
    with pytest.raises(RuntimeError):
        actions.submit_response(
            assessment=assessment,
            answers={**ZEROS, "q9": 2},
            client_id=factories.client_id(),
            by=world.p1,
        )
    assert Response.objects.count() == 0
    assert SafetyAlert.objects.count() == 0
    assert Draft.objects.get(assessment=assessment).answers == {"q1": 1}


def test_drafts_save_as_you_go_and_are_cleared_on_submit(world) -> None:  # type: ignore[no-untyped-def]
    assessment = baseline(world.enrolment_p1)
    actions.save_draft_answers(assessment=assessment, answers={"q1": 1, "q2": "2"}, by=world.p1)
    actions.save_draft_answers(assessment=assessment, answers={"q2": "", "q3": 0}, by=world.p1)
    assert Draft.objects.get(assessment=assessment).answers == {"q1": 1, "q3": 0}
    today = timezone.localdate()
    assert assessment.status_on(today) == "in_progress"
    with pytest.raises(InvalidInput) as error:
        actions.save_draft_answers(assessment=assessment, answers={"q4": 9, "q5": 5}, by=world.p1)
    assert {p.field for p in error.value.problems} == {"q4", "q5"}
    actions.submit_response(
        assessment=assessment, answers=ZEROS, client_id=factories.client_id(), by=world.p1
    )
    assert not Draft.objects.filter(assessment=assessment).exists()
    assert assessment.status_on(today) == "complete"


def test_participant_cannot_answer_for_another(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotAllowed):
        actions.submit_response(
            assessment=baseline(world.enrolment_p1),
            answers=ZEROS,
            client_id=factories.client_id(),
            by=world.p2,
        )
    with pytest.raises(NotAllowed):
        actions.save_draft_answers(
            assessment=baseline(world.enrolment_p1), answers={"q1": 1}, by=world.p2_user
        )


def test_researcher_cannot_enter_answers(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotAllowed):
        actions.submit_response(
            assessment=baseline(world.enrolment_p1),
            answers=ZEROS,
            client_id=factories.client_id(),
            entry_mode="staff_paper",
            by=world.researcher_a,
        )


def test_participant_cannot_claim_paper_entry(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match="entry_mode"):
        actions.submit_response(
            assessment=baseline(world.enrolment_p1),
            answers=ZEROS,
            client_id=factories.client_id(),
            entry_mode="staff_paper",
            by=world.p1,
        )


def test_amendment_keeps_old_answers(world, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    response = actions.submit_response(
        assessment=baseline(world.enrolment_p1),
        answers=ZEROS,
        client_id=factories.client_id(),
        by=world.p1,
    )
    with pytest.raises(InvalidInput) as error:
        actions.amend_response(
            response=response, answers={**ZEROS, "q1": 3}, reason=" ", by=world.facilitator_a
        )
    assert error.value.problems[0].field == "reason"
    with django_capture_on_commit_callbacks(execute=True):
        amended = actions.amend_response(
            response=response,
            answers={**ZEROS, "q1": 3, "q9": 1},
            reason="Transcription error on the paper copy",
            by=world.facilitator_a,
        )
    assert amended.scores["total"] == 4.0
    history = ResponseAmendment.objects.get(response=response)
    assert history.old_answers == ZEROS
    assert history.old_scores["total"] == 0.0
    assert history.by == world.facilitator_a
    assert SafetyAlert.objects.filter(response=response, item="q9").count() == 1
    with pytest.raises(NotAllowed):
        actions.amend_response(response=response, answers=ZEROS, reason="x", by=world.researcher_a)


def test_acknowledge_alert(world) -> None:  # type: ignore[no-untyped-def]
    response = actions.submit_response(
        assessment=baseline(world.enrolment_p1),
        answers={**ZEROS, "q9": 3},
        client_id=factories.client_id(),
        by=world.p1,
    )
    alert = response.alerts.get()
    with pytest.raises(NotAllowed):
        actions.acknowledge_alert(alert=alert, by=world.facilitator_b)
    done = actions.acknowledge_alert(alert=alert, by=world.facilitator_a, note="Phoned, safe")
    assert done.acknowledged_by == world.facilitator_a and not done.is_open
    again = actions.acknowledge_alert(alert=alert, by=world.admin_a)
    assert again.acknowledged_by == world.facilitator_a
    assert AuditEvent.objects.filter(action="alert.acknowledge").count() == 1


CHECKIN = {"q1": 6, "q2": 5, "q3": 4, "q4": 5, "q5": 7, "q6": 30, "q7": "breathing", "q8": ""}


def test_checkin_scored_by_engine_and_idempotent(world) -> None:  # type: ignore[no-untyped-def]
    cid = factories.client_id()
    checkin = actions.submit_checkin(
        enrolment=world.enrolment_p1,
        week=1,
        answers=CHECKIN,
        client_id=cid,
        practice_type="soothing_breathing",
        by=world.p1,
    )
    assert checkin.scores["mood"] == 6.0
    assert checkin.scores["pain"] == 7.0
    assert checkin.scores["practice_minutes"] == 30.0
    assert checkin.answers["q8"] is None
    same = actions.submit_checkin(
        enrolment=world.enrolment_p1, week=1, answers=CHECKIN, client_id=cid, by=world.p1
    )
    assert same.pk == checkin.pk
    with pytest.raises(InvalidInput, match="already sent"):
        actions.submit_checkin(
            enrolment=world.enrolment_p1,
            week=1,
            answers=CHECKIN,
            client_id=factories.client_id(),
            by=world.p1,
        )
    assert CheckIn.objects.count() == 1


def test_checkin_reports_every_problem(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as error:
        actions.submit_checkin(
            enrolment=world.enrolment_p1,
            week=13,
            answers={"q1": 11, "q5": ""},
            client_id=factories.client_id(),
            practice_type="juggling",
            by=world.p1,
        )
    fields = {p.field for p in error.value.problems}
    assert {"week", "practice_type", "q1", "q2", "q5"} <= fields
    assert "q6" not in fields  # practice minutes may be left empty (checkin.yaml)


def test_checkin_for_a_sent_week_is_reported_with_the_other_problems(world) -> None:  # type: ignore[no-untyped-def]
    actions.submit_checkin(
        enrolment=world.enrolment_p1,
        week=2,
        answers=CHECKIN,
        client_id=factories.client_id(),
        by=world.p1,
    )
    with pytest.raises(InvalidInput) as error:
        actions.submit_checkin(
            enrolment=world.enrolment_p1,
            week=2,
            answers={**CHECKIN, "q1": 11},
            client_id=factories.client_id(),
            by=world.p1,
        )
    assert error.value.by_field()["week"] == ["The check-in for week 2 was already sent."]
    assert "q1" in error.value.by_field()
    assert CheckIn.objects.count() == 1


def test_checkin_client_id_used_for_another_week_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    cid = factories.client_id()
    actions.submit_checkin(
        enrolment=world.enrolment_p1, week=3, answers=CHECKIN, client_id=cid, by=world.p1
    )
    with pytest.raises(InvalidInput, match="used for another form"):
        actions.submit_checkin(
            enrolment=world.enrolment_p1, week=4, answers=CHECKIN, client_id=cid, by=world.p1
        )
    assert list(CheckIn.objects.values_list("week", flat=True)) == [3]


def test_closed_assessment_refuses_online_answers(world) -> None:  # type: ignore[no-untyped-def]
    assessment = baseline(world.enrolment_p1)
    assessment.closes_on = timezone.localdate() - timedelta(days=1)
    assessment.save()
    with pytest.raises(InvalidInput, match="closed"):
        actions.submit_response(
            assessment=assessment, answers=ZEROS, client_id=factories.client_id(), by=world.p1
        )
    # staff can still enter a late paper form
    actions.submit_response(
        assessment=assessment,
        answers=ZEROS,
        client_id=factories.client_id(),
        entry_mode="staff_paper",
        by=world.facilitator_a,
    )


def test_upcoming_assessment_cannot_be_answered_online_yet(world) -> None:  # type: ignore[no-untyped-def]
    follow_up = world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="follow_up")
    with pytest.raises(InvalidInput, match="opens on"):
        actions.submit_response(
            assessment=follow_up, answers=ZEROS, client_id=factories.client_id(), by=world.p1
        )


def test_staff_cannot_enter_answers_before_a_questionnaire_opens(world) -> None:  # type: ignore[no-untyped-def]
    follow_up = world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="follow_up")
    for mode in ("staff_paper", "import"):
        with pytest.raises(InvalidInput, match="opens on") as refused:
            actions.submit_response(
                assessment=follow_up,
                answers=ZEROS,
                client_id=factories.client_id(),
                entry_mode=mode,
                by=world.facilitator_a,
            )
        assert refused.value.problems[0].field == "assessment_id"
    assert not follow_up.__class__.objects.filter(pk=follow_up.pk, response__isnull=False).exists()


def test_status_in_database_matches_the_pure_rule(world) -> None:  # type: ignore[no-untyped-def]
    from balm.outcomes.models import Assessment
    from balm.programmes.actions import change_enrolment_status

    today = timezone.localdate()
    actions.save_draft_answers(
        assessment=baseline(world.enrolment_p1, "gad7"), answers={"q1": 1}, by=world.p1
    )
    actions.submit_response(
        assessment=baseline(world.enrolment_p1),
        answers=ZEROS,
        client_id=factories.client_id(),
        by=world.p1,
    )
    change_enrolment_status(enrolment=world.enrolment_p2, status="withdrawn", reason="x", by=None)
    for day in (today, today + timedelta(days=30), today + timedelta(days=400)):
        for assessment in Assessment.objects.with_status(day):
            assert assessment.current_status == assessment.status_on(day), assessment
