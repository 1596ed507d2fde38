"""Writes for questionnaires, check-ins and safety alerts.

Every answer is checked and scored by ``balm.instruments`` (``score_one``, ``safety_flags``)
through :mod:`balm.outcomes.answers`. The actor ``by`` is a User (staff or a participant with
an account), a Participant (answering through a personal link) or None (the system).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from balm.accounts import permissions
from balm.accounts.errors import InvalidInput, Problem
from balm.accounts.models import Participant, User
from balm.api.models import ApiToken
from balm.audit.models import record
from balm.instruments import SCORER_VERSION
from balm.outcomes import score_rows
from balm.outcomes.answers import check_answers, stored_answers
from balm.outcomes.models import (
    Assessment,
    AssessmentOutcome,
    CheckIn,
    Draft,
    EntryMode,
    PracticeType,
    Response,
    ResponseAmendment,
    SafetyAlert,
)
from balm.programmes.models import Enrolment
from balm.row_insert import create_row
from balm.wording.lookup import answerable_online, current_wording
from balm.wording.printed_order import declared_variant, undeclared_problems

Actor = User | Participant | None


def _user(by: Actor) -> User | None:
    return by if isinstance(by, User) else None


def entry_mode_for(by: Actor, enrolment: Enrolment, entry_mode: str | None) -> str:
    """The entry mode, which follows from who sends the answers; checks ``by`` may answer.

    The participant (through a personal link or their own account) answers online; staff
    enter a paper form or an import (``staff_paper`` when not said), never "online", which
    would claim the participant answered. The system (``by=None``: the demo, data loads) says
    which. A mode that does not fit the sender is refused with the reason.
    """
    if entry_mode is not None and entry_mode not in EntryMode.values:
        raise InvalidInput([Problem("entry_mode", f"{entry_mode!r} is not an entry mode.")])
    if by is None:
        return entry_mode or EntryMode.PARTICIPANT_ONLINE
    permissions.require(permissions.can_answer_as(by, enrolment))
    own = by if isinstance(by, Participant) else permissions.participant_of(by)
    if own is not None and own.pk == enrolment.participant_id:
        if entry_mode not in (None, EntryMode.PARTICIPANT_ONLINE):
            raise InvalidInput(
                [Problem("entry_mode", "Your own answers are recorded as answered online.")]
            )
        return EntryMode.PARTICIPANT_ONLINE
    permissions.require(
        permissions.can_edit_clinical(by, enrolment.cohort.site),
        "Only clinical staff enter answers from paper or imports.",
    )
    if entry_mode == EntryMode.PARTICIPANT_ONLINE:
        raise InvalidInput(
            [
                Problem(
                    "entry_mode",
                    "Staff cannot record answers as the participant's own online answers; "
                    "send staff_paper or import.",
                )
            ]
        )
    return entry_mode or EntryMode.STAFF_PAPER


def _client_id_problem(client_id: str) -> Problem | None:
    if not client_id or len(client_id) > 64:
        return Problem("client_id", "A client id (up to 64 characters) is required.")
    return None


def save_draft_answers(
    *, assessment: Assessment, answers: Mapping[str, object], by: Actor
) -> Draft:
    """Merge ``answers`` into the saved draft (so a participant can stop and resume).

    Given values are checked (a bad value is refused with every problem); blanks clear an
    answer; missing items are fine in a draft.
    """
    enrolment = assessment.enrolment
    if by is not None:
        permissions.require(permissions.can_answer_as(by, enrolment))
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if Response.objects.filter(assessment=locked).exists():
            raise InvalidInput([Problem("", "This questionnaire has already been sent.")])
        if locked.outcome:
            raise InvalidInput([_outcome_recorded(locked)])
        draft = Draft.objects.filter(assessment=locked).first()
        if not answers:
            # Nothing sent: nothing to record (no empty draft, no audit event).
            return draft if draft is not None else Draft(assessment=locked)
        if draft is None:
            draft = Draft(assessment=locked)
        merged = {**draft.answers, **stored_answers(answers)}
        merged = {key: value for key, value in merged.items() if value is not None}
        # Blanks (which clear an answer) are checked too: a key that is no item is refused.
        checked = check_answers(
            locked.instrument_id,
            {**{str(key): None for key in answers}, **merged},
            require_complete=False,
            require_scored=False,
        )
        if checked.problems:
            raise InvalidInput(checked.problems)
        draft.answers = merged
        draft.updated_at = timezone.now()
        draft.save()
        record(
            "draft.save",
            by=by,
            obj=draft,
            site=enrolment.cohort.site,
            details={"items": sorted(answers)},
        )
    return draft


@dataclass(frozen=True)
class Submission:
    """What :func:`record_submission` did: the stored response, whether this call created it
    (False: the same ``client_id`` was stored before, possibly for other answers or another
    form; the caller decides whether that is a harmless retry), and the alerts it raised."""

    response: Response
    created: bool
    alerts: list[SafetyAlert]


def submit_response(
    *,
    assessment: Assessment,
    answers: Mapping[str, object],
    client_id: str,
    entry_mode: str | None = None,
    by: Actor,
    token: ApiToken | None = None,
) -> Response:
    """Check, score and store a questionnaire; raise safety alerts; idempotent on client_id.

    Participants online must answer every required item; staff entering a paper form or an
    import may leave items blank (missing, never zero; the engine prorates where its rules
    allow), but the answers must give at least one score (``too_few_answers``). The entry mode
    follows from ``by`` (see :func:`entry_mode_for`); ``token``, the API token it came with, is
    recorded with ``by``. Every problem is reported at once. Sending the same ``client_id``
    again returns the stored response without writing anything; a ``client_id`` already used
    for another questionnaire is refused. Nothing is taken before the questionnaire opens
    (for staff the problem names ``assessment_id``: :func:`not_open_yet`); after it closes,
    only staff entries are (a paper form returned late).
    """
    submission = record_submission(
        assessment=assessment,
        answers=answers,
        client_id=client_id,
        entry_mode=entry_mode,
        by=by,
        token=token,
    )
    if submission.response.assessment_id != assessment.pk:
        raise InvalidInput([Problem("client_id", "This client id was used for another form.")])
    return submission.response


def record_submission(
    *,
    assessment: Assessment,
    answers: Mapping[str, object],
    client_id: str,
    entry_mode: str | None = None,
    by: Actor,
    token: ApiToken | None = None,
) -> Submission:
    """:func:`submit_response`, telling a new response from one stored before under the same
    ``client_id`` (which is returned as it is, whatever was sent this time; the API answers
    200 or 409 from that).

    Nothing is looked up before writing: the response is inserted at once and the database's
    unique constraints (one response per assessment, one per client id) decide a race or a
    repeat; only then are the earlier rows read. The assessment row is locked first, as
    :func:`save_draft_answers` locks it, so a draft saved at the same moment either commits
    first (and is cleared here) or sees this response and stops. (The insert's foreign-key
    check would not do: Django makes foreign keys deferrable on PostgreSQL, so the check and
    its lock wait until commit, after the draft was cleared. Nor would asking whether there is
    a draft in the locking statement, to skip the delete: that statement's snapshot is taken
    before it waits for the lock, so it misses a draft committed meanwhile.
    ``tests/web/test_postgres.py`` fails on either.) Pass the assessment with
    ``enrolment__cohort__site`` selected to spare three lookups.

    The participant's own submission replaces their draft (it is deleted); a staff entry
    keeps it, so a participant's half-finished answers are never thrown away by someone
    else's write (the paper-entry page says when there is one).
    """
    enrolment = assessment.enrolment
    entry_mode = entry_mode_for(by, enrolment, entry_mode)
    problems = []
    client_problem = _client_id_problem(client_id)
    if client_problem:
        problems.append(client_problem)
    online = entry_mode == EntryMode.PARTICIPANT_ONLINE
    site = enrolment.cohort.site
    # An instrument whose printed order is unconfirmed is scored in the order the site's form
    # uses, and refused (with every other problem) until the site has declared it.
    undeclared = undeclared_problems(site, [assessment.instrument_id], field="")
    problems.extend(undeclared)
    variant = declared_variant(site, assessment.instrument_id)
    checked = check_answers(
        assessment.instrument_id, answers, require_complete=online, variant=variant
    )
    problems.extend(checked.problems)
    today = timezone.localdate()
    if online and today > assessment.closes_on:
        problems.append(Problem("", "This questionnaire has closed; the team has been told."))
    if online and enrolment.status == "withdrawn":
        problems.append(Problem("", "You have left this programme, so nothing more is needed."))
    if today < assessment.opens_on and (online or by is not None):
        # The system (``by=None``: data loads, tests) may file answers under any timepoint.
        problems.append(not_open_yet(assessment, online=online))
    if assessment.outcome:
        problems.append(_outcome_recorded(assessment))
    if online and not undeclared and not answerable_online(site, checked.instrument):
        problems.append(Problem("", "This questionnaire is answered on paper with your team."))
    if problems:
        # A retry of a submission stored before (say, just before the form closed) is still
        # answered with the stored response, not with today's problems.
        earlier = Response.objects.filter(client_id=client_id).first() if client_id else None
        if earlier is not None:
            return Submission(earlier, created=False, alerts=[])
        if Response.objects.filter(assessment_id=assessment.pk).exists():
            problems.append(_already_sent())  # reported with the others, all at once
        raise InvalidInput(problems)
    try:
        with transaction.atomic():
            _lock_assessment(assessment.pk)
            now = timezone.now()
            response = create_row(
                Response,
                assessment=assessment,
                instrument_id=checked.instrument.id,
                instrument_version=checked.instrument.version,
                wording=current_wording(enrolment.cohort.site, checked.instrument),
                variant=variant or "",
                answers=stored_answers(answers),
                scores=checked.scores,
                scorer_version=SCORER_VERSION,
                entered_by=_user(by),
                api_token=token,
                entry_mode=entry_mode,
                client_id=client_id,
                created_at=now,
                updated_at=now,
            )
            score_rows.add_response(
                enrolment_id=assessment.enrolment_id,
                timepoint=assessment.timepoint,
                week=assessment.week,
                instrument_id=response.instrument_id,
                scores=response.scores,
                answers=response.answers,
            )
            if online:
                _delete_draft(assessment.pk)
            alerts = _raise_alerts(response, checked.flagged, answers, new=True)
            record(
                "response.submit",
                by=by,
                obj=response,
                site=enrolment.cohort.site,
                details={
                    "assessment": assessment.pk,
                    "instrument": response.instrument_id,
                    "entry_mode": entry_mode,
                    "variant": variant or "",
                    "api_token": token.pk if token is not None else None,
                    "alerts": [alert.pk for alert in alerts],
                },
            )
    except IntegrityError:
        # Committed before us (or while the insert waited on a concurrent one): the same
        # client id is a repeat; another client id for this questionnaire is a second answer.
        earlier = Response.objects.filter(client_id=client_id).first()
        if earlier is not None:
            return Submission(earlier, created=False, alerts=[])
        if Response.objects.filter(assessment_id=assessment.pk).exists():
            raise InvalidInput([_already_sent()]) from None
        raise
    return Submission(response, created=True, alerts=alerts)


def _lock_assessment(pk: int) -> None:
    """``SELECT ... FOR UPDATE`` of the assessment row (see :func:`record_submission`), as
    plain SQL: on the submission path the ORM's compiling of it cost more than running it."""
    table = connection.ops.quote_name(Assessment._meta.db_table)
    # SQLite has no row locks (its writes are serialised), as the ORM's select_for_update.
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s{lock}", [pk])
        if cursor.fetchone() is None:
            raise Assessment.DoesNotExist(f"No assessment {pk}.")


def _delete_draft(assessment_id: int) -> None:
    """The assessment's draft, deleted as the ORM's fast delete would (no model refers to a
    draft and no signal listens for it), without the ORM's collecting and compiling."""
    table = connection.ops.quote_name(Draft._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE assessment_id = %s", [assessment_id])


def not_open_yet(assessment: Assessment, *, online: bool) -> Problem:
    """Answers are taken once a questionnaire opens, from paper too (a form filled in early
    would be a different timepoint). A closed one still takes a late paper form from staff."""
    if online:
        return Problem("", f"This questionnaire opens on {assessment.opens_on:%-d %B}.")
    return Problem(
        "assessment_id",
        f"This questionnaire opens on {assessment.opens_on:%A %-d %B %Y}; answers from paper "
        "can be entered from then.",
    )


def _outcome_recorded(assessment: Assessment) -> Problem:
    label = AssessmentOutcome(assessment.outcome).label.lower()
    return Problem(
        "", f"This questionnaire was recorded as {label}; staff can clear that to record answers."
    )


def _already_sent() -> Problem:
    return Problem("", "This questionnaire was already sent; staff can amend it.")


def _raise_alerts(
    response: Response, flagged: list[str], answers: Mapping[str, object], *, new: bool = False
) -> list[SafetyAlert]:
    """An alert per flagged safety item the response has no alert for yet.

    ``new``: the response was created in this transaction, so it has no alerts yet.
    """
    from balm.outcomes.reminders import enqueue_alert_email

    if not flagged:
        return []
    already = set() if new else set(response.alerts.values_list("item", flat=True))
    alerts = [
        SafetyAlert.objects.create(
            response=response,
            item=item,
            value=float(str(answers[item])),
            email_attempts=1,  # the e-mail queued below; the periodic check retries it
            email_last_attempt_at=timezone.now(),
        )
        for item in flagged
        if item not in already
    ]
    for alert in alerts:
        transaction.on_commit(lambda alert_id=alert.pk: enqueue_alert_email(alert_id), robust=True)
    return alerts


def amend_response(
    *, response: Response, answers: Mapping[str, object], reason: str, by: User | None
) -> Response:
    """Replace a response's answers (staff only, a reason required); the old answers and
    scores are kept as a :class:`ResponseAmendment`. New safety answers raise alerts.

    The answers are of the same printed form, so they are scored in the printed order the
    response was scored in (``Response.variant``); a response of an instrument that needs one
    but recorded none (stored before balm asked) takes the site's declaration, and is
    refused until there is one."""
    enrolment = response.assessment.enrolment
    if by is not None:
        permissions.require(permissions.can_edit_clinical(by, enrolment.cohort.site))
    problems = []
    if not reason.strip():
        problems.append(Problem("reason", "Say why the answers are being changed."))
    variant = response.variant or declared_variant(enrolment.cohort.site, response.instrument_id)
    if not variant:
        problems.extend(
            undeclared_problems(enrolment.cohort.site, [response.instrument_id], field="")
        )
    checked = check_answers(
        response.instrument_id, answers, require_complete=False, variant=variant or None
    )
    problems.extend(checked.problems)
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        locked = Response.objects.select_for_update().get(pk=response.pk)
        amendment = ResponseAmendment.objects.create(
            response=locked,
            old_answers=locked.answers,
            old_scores=locked.scores,
            old_instrument_version=locked.instrument_version,
            old_scorer_version=locked.scorer_version,
            reason=reason.strip(),
            by=by,
        )
        locked.answers = stored_answers(answers)
        locked.variant = variant or ""
        locked.scores = checked.scores
        locked.instrument_version = checked.instrument.version
        locked.scorer_version = SCORER_VERSION
        locked.updated_at = timezone.now()
        locked.save()
        score_rows.rebuild([enrolment.pk])
        alerts = _raise_alerts(locked, checked.flagged, answers)
        record(
            "response.amend",
            by=by,
            obj=locked,
            site=enrolment.cohort.site,
            details={
                "amendment": amendment.pk,
                "reason": reason.strip(),
                "alerts": [a.pk for a in alerts],
            },
        )
    return locked


@dataclass(frozen=True)
class CheckInSubmission:
    """What :func:`record_checkin` did: the stored check-in and whether this call created it
    (False: the same ``client_id`` was stored before, possibly for another week or person)."""

    checkin: CheckIn
    created: bool


def submit_checkin(
    *,
    enrolment: Enrolment,
    week: int,
    answers: Mapping[str, object],
    client_id: str,
    practice_type: str = PracticeType.NONE,
    note: str = "",
    entry_mode: str | None = None,
    by: Actor,
    token: ApiToken | None = None,
) -> CheckIn:
    """The weekly check-in, scored by the template's check-in instrument; idempotent on
    client_id (a client id already used for another week or person is refused); one per
    week."""
    submission = record_checkin(
        enrolment=enrolment,
        week=week,
        answers=answers,
        client_id=client_id,
        practice_type=practice_type,
        note=note,
        entry_mode=entry_mode,
        by=by,
        token=token,
    )
    stored = submission.checkin
    if not submission.created and (stored.enrolment_id != enrolment.pk or stored.week != week):
        raise InvalidInput([Problem("client_id", "This client id was used for another form.")])
    return stored


def record_checkin(
    *,
    enrolment: Enrolment,
    week: int,
    answers: Mapping[str, object],
    client_id: str,
    practice_type: str = PracticeType.NONE,
    note: str = "",
    entry_mode: str | None = None,
    by: Actor,
    token: ApiToken | None = None,
) -> CheckInSubmission:
    """:func:`submit_checkin`, telling a new check-in from one stored before under the same
    ``client_id`` (returned as it is; the API answers 200 or 409 from that).

    As :func:`record_submission`: nothing is looked up before the insert; the unique
    constraints (one check-in per enrolment and week, one per client id) decide a repeat or a
    second check-in for the week, and only then, or when the check-in has problems, are the
    earlier rows read. A withdrawn participant has no check-ins (refused with the reason), and
    the answers must give at least one score.
    """
    entry_mode = entry_mode_for(by, enrolment, entry_mode)
    instrument_id = enrolment.cohort.template.checkin_instrument
    problems = []
    client_problem = _client_id_problem(client_id)
    if client_problem:
        problems.append(client_problem)
    if not instrument_id:
        problems.append(Problem("", "This programme has no weekly check-in."))
        raise InvalidInput(problems)
    if not 1 <= week <= enrolment.cohort.template.weeks:
        problems.append(Problem("week", f"Week must be 1 to {enrolment.cohort.template.weeks}."))
    if practice_type not in PracticeType.values:
        problems.append(Problem("practice_type", "Choose a practice from the list."))
    if enrolment.status == "withdrawn":
        problems.append(
            Problem("", "This participant has left the programme, so no check-in is recorded.")
        )
    online = entry_mode == EntryMode.PARTICIPANT_ONLINE
    checked = check_answers(instrument_id, answers, require_complete=online)
    problems.extend(checked.problems)
    if problems:
        earlier = CheckIn.objects.filter(client_id=client_id).first() if client_id else None
        if earlier is not None:
            return CheckInSubmission(earlier, created=False)
        if CheckIn.objects.filter(enrolment=enrolment, week=week).exists():
            problems.append(_week_sent(week))  # reported with the others, all at once
        raise InvalidInput(problems)
    try:
        with transaction.atomic():
            checkin = CheckIn.objects.create(
                enrolment=enrolment,
                week=week,
                instrument_id=checked.instrument.id,
                instrument_version=checked.instrument.version,
                answers=stored_answers(answers),
                scores=checked.scores,
                scorer_version=SCORER_VERSION,
                practice_type=practice_type,
                note=note.strip(),
                entered_by=_user(by),
                api_token=token,
                entry_mode=entry_mode,
                client_id=client_id,
            )
            record(
                "checkin.submit",
                by=by,
                obj=checkin,
                site=enrolment.cohort.site,
                details={
                    "week": week,
                    "entry_mode": entry_mode,
                    "api_token": token.pk if token is not None else None,
                },
            )
    except IntegrityError:
        earlier = CheckIn.objects.filter(client_id=client_id).first()
        if earlier is not None:
            return CheckInSubmission(earlier, created=False)
        if CheckIn.objects.filter(enrolment=enrolment, week=week).exists():
            raise InvalidInput([_week_sent(week)]) from None
        raise
    return CheckInSubmission(checkin, created=True)


def _week_sent(week: int) -> Problem:
    return Problem("week", f"The check-in for week {week} was already sent.")


def acknowledge_alert(*, alert: SafetyAlert, by: User, note: str = "") -> SafetyAlert:
    """A clinician has seen the alert and acted; idempotent (the first acknowledgement stays)."""
    permissions.require(permissions.can_acknowledge_alert(by, alert))
    with transaction.atomic():
        locked = SafetyAlert.objects.select_for_update().get(pk=alert.pk)
        if locked.acknowledged_at is not None:
            return locked
        locked.acknowledged_at = timezone.now()
        locked.acknowledged_by = by
        locked.acknowledgement_note = note.strip()
        locked.save()
        record(
            "alert.acknowledge",
            by=by,
            obj=locked,
            site=locked.response.assessment.enrolment.cohort.site,
            details={"note": note.strip()},
        )
    return locked


def record_assessment_outcome(
    *, assessment: Assessment, outcome: str, note: str = "", by: User
) -> Assessment:
    """Record that a questionnaire was not returned or was declined ("" clears it).

    This is an outcome of the assessment, never a response: it counts as expected and not
    complete in completion rates, is not in the response export, and closes the questionnaire
    to the participant. Refused once a response exists, and when nothing would change.
    """
    enrolment = assessment.enrolment
    permissions.require(
        permissions.can_edit_clinical(by, enrolment.cohort.site),
        "Only clinical staff record what happened to a questionnaire.",
    )
    if outcome not in AssessmentOutcome.values:
        allowed = ", ".join(repr(v) for v in AssessmentOutcome.values)
        raise InvalidInput([Problem("outcome", f"{outcome!r} is not one of {allowed}.")])
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if Response.objects.filter(assessment=locked).exists():
            raise InvalidInput([Problem("outcome", "This questionnaire was answered already.")])
        if locked.outcome == outcome:
            raise InvalidInput([Problem("outcome", "That is already recorded.")])
        previous = locked.outcome
        locked.outcome = outcome
        locked.outcome_note = note.strip() if outcome else ""
        locked.outcome_by = by if outcome else None
        locked.outcome_at = timezone.now() if outcome else None
        locked.save(update_fields=["outcome", "outcome_note", "outcome_by", "outcome_at"])
        record(
            "assessment.outcome",
            by=by,
            obj=locked,
            site=enrolment.cohort.site,
            details={"outcome": outcome, "previous": previous, "note": note.strip()},
        )
    return locked
