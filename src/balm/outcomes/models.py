"""Assessments, responses and their amendments, drafts, check-ins, safety alerts, reminders."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.utils import timezone

from balm.outcomes.jsonsql import JsonbText, JsonNumber
from balm.outcomes.status import AssessmentStatus, assessment_status
from balm.programmes.templates import Timepoint


class AssessmentQuerySet(models.QuerySet["Assessment"]):
    def with_status(self, today: date) -> AssessmentQuerySet:
        """Annotate ``current_status`` computed in the database, as ``Assessment.status_on``."""
        has_response = Exists(Response.objects.filter(assessment=OuterRef("pk")))
        has_draft = Exists(Draft.objects.filter(assessment=OuterRef("pk")).exclude(answers={}))
        return self.annotate(
            current_status=Case(
                When(has_response, then=Value(AssessmentStatus.COMPLETE.value)),
                When(
                    outcome=AssessmentOutcome.NOT_RETURNED,
                    then=Value(AssessmentStatus.NOT_RETURNED.value),
                ),
                When(
                    outcome=AssessmentOutcome.DECLINED, then=Value(AssessmentStatus.DECLINED.value)
                ),
                When(enrolment__status="withdrawn", then=Value(AssessmentStatus.WITHDRAWN.value)),
                When(closes_on__lt=today, then=Value(AssessmentStatus.MISSED.value)),
                When(has_draft, then=Value(AssessmentStatus.IN_PROGRESS.value)),
                When(opens_on__gt=today, then=Value(AssessmentStatus.UPCOMING.value)),
                default=Value(AssessmentStatus.DUE.value),
                output_field=models.CharField(),
            )
        )

    def with_open_status(self) -> AssessmentQuerySet:
        """``current_status`` of questionnaires known to be open (:meth:`open_on`,
        :meth:`open_now`): in progress with a draft, else due. Skips the other cases'
        subqueries, which would read every response of the site."""
        has_draft = Exists(Draft.objects.filter(assessment=OuterRef("pk")).exclude(answers={}))
        return self.annotate(
            current_status=Case(
                When(has_draft, then=Value(AssessmentStatus.IN_PROGRESS.value)),
                default=Value(AssessmentStatus.DUE.value),
                output_field=models.CharField(),
            )
        )

    def open_now(self, today: date) -> AssessmentQuerySet:
        """Those of these questionnaires open ``today`` with no response (:func:`open_ids`
        among this queryset: what the caller may see), named to the planner by their ids and
        their courses' ids, so that it joins the courses (and through them the groups and
        people) on primary keys too: a site's page of what is open costs the same after ten
        years of courses as after one, and the same beside other sites as alone."""
        ids, enrolments = open_ids(today, among=self)
        return self.filter(pk__in=ids, enrolment_id__in=enrolments)

    def open_on(self, today: date) -> AssessmentQuerySet:
        """Assessments a participant can answer today (due or in progress)."""
        return (
            self.filter(opens_on__lte=today, closes_on__gte=today)
            .exclude(Exists(Response.objects.filter(assessment=OuterRef("pk"))))
            .filter(outcome="")
            .filter(enrolment__status__in=["referred", "assessed", "started", "completed"])
        )


def open_ids(
    today: date, among: models.QuerySet[Assessment] | None = None
) -> tuple[list[int], list[int]]:
    """Ids of every questionnaire open ``today`` with no response, at all sites or ``among``
    those of a queryset (what a user may see), and the ids of their enrolments (callers narrow
    them to open enrolments and, for lists, to no staff outcome:
    :meth:`AssessmentQuerySet.open_now`).

    Two lookups bounded by what is open now, not by the years of history: the window
    (``assessment_open_window``, joined to the caller's scope) and, among those, the ones
    answered (the response's unique ``assessment`` index). Handing the planner the ids, rather
    than the window and an anti-join with every response, keeps its estimates exact and its
    joins on primary keys (given the window and the anti-join, it reads every response into a
    hash). The scope matters in a network: with the window of all sites, 21 other sites' open
    questionnaires (10,000) made one site's due list 220 ms of statements, not 9-14 ms
    (``docs/performance.md``, session 12)."""
    window = list(
        (Assessment.objects.all() if among is None else among)
        .filter(closes_on__gte=today, opens_on__lte=today)
        .order_by()
        .values_list("pk", "enrolment_id")
    )
    answered = set(
        Response.objects.filter(assessment_id__in=[pk for pk, _ in window])
        .order_by()
        .values_list("assessment_id", flat=True)
    )
    kept = [(pk, enrolment) for pk, enrolment in window if pk not in answered]
    return [pk for pk, _ in kept], sorted({enrolment for _, enrolment in kept})


class AssessmentOutcome(models.TextChoices):
    """Why an assessment has no response, recorded by staff (never a response itself)."""

    NONE = "", "No outcome recorded"
    NOT_RETURNED = "not_returned", "Not returned"
    DECLINED = "declined", "Declined"


class Assessment(models.Model):
    """An instrument due for one enrolment at one timepoint.

    ``outcome`` records that staff know no response will come (not returned, declined): the
    assessment then counts as expected but not complete, and the participant no longer sees it.
    """

    enrolment = models.ForeignKey(
        "programmes.Enrolment", on_delete=models.CASCADE, related_name="assessments"
    )
    instrument_id = models.CharField(max_length=40)
    timepoint = models.CharField(max_length=20, choices=Timepoint.choices)
    week = models.PositiveSmallIntegerField()
    opens_on = models.DateField()
    due_on = models.DateField()
    closes_on = models.DateField()
    outcome = models.CharField(
        max_length=20, choices=AssessmentOutcome.choices, blank=True, default=""
    )
    outcome_note = models.TextField(blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome_at = models.DateTimeField(null=True, blank=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ("enrolment", "week", "instrument_id")
        constraints = (
            models.UniqueConstraint(
                fields=["enrolment", "instrument_id", "timepoint"], name="one_assessment_each"
            ),
        )
        indexes = (
            # "Open today" (opens_on <= today <= closes_on: the due list, the reminder check):
            # a range on closes_on skips the years of closed questionnaires.
            models.Index(fields=["closes_on", "opens_on"], name="assessment_open_window"),
        )

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.timepoint} for {self.enrolment}"

    def status_on(self, today: date) -> AssessmentStatus:
        return assessment_status(
            has_response=Response.objects.filter(assessment=self).exists(),
            has_draft=Draft.objects.filter(assessment=self).exclude(answers={}).exists(),
            opens_on=self.opens_on,
            closes_on=self.closes_on,
            today=today,
            withdrawn=self.enrolment.status == "withdrawn",
            outcome=self.outcome,
        )


class EntryMode(models.TextChoices):
    PARTICIPANT_ONLINE = "participant_online", "Participant, online"
    STAFF_PAPER = "staff_paper", "Staff, from paper"
    IMPORT = "import", "Imported"


class Response(models.Model):
    """A submitted questionnaire: the answers exactly as given and the engine's scores.

    ``answers`` maps item id to the printed weight chosen (blank items are absent or null,
    never zero). Changing a response goes through ``amend_response``, which keeps history.
    """

    assessment = models.OneToOneField(Assessment, on_delete=models.PROTECT, related_name="response")
    instrument_id = models.CharField(max_length=40)
    instrument_version = models.CharField(max_length=40)
    wording = models.ForeignKey(
        "wording.InstrumentWording",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responses",
        help_text="The site's wording version it was answered on; empty: the catalogue's.",
    )
    variant = models.CharField(
        max_length=60,
        blank=True,
        help_text="The printed item order its answers were scored in (a catalogue variant), "
        "for an instrument whose printed order the site declares; empty: the catalogue's.",
    )
    answers = models.JSONField(encoder=DjangoJSONEncoder)
    scores = models.JSONField(encoder=DjangoJSONEncoder)
    scorer_version = models.CharField(max_length=20)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_token = models.ForeignKey(
        "api.ApiToken",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The API token it was sent with, if any (its user is entered_by).",
    )
    entry_mode = models.CharField(max_length=30, choices=EntryMode.choices)
    client_id = models.CharField(
        max_length=64, unique=True, help_text="Sent by the client so a resubmission is harmless."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"response to {self.assessment}"


class ResponseAmendment(models.Model):
    """The state of a response before an amendment, with the reason and who changed it."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="amendments")
    old_answers = models.JSONField(encoder=DjangoJSONEncoder)
    old_scores = models.JSONField(encoder=DjangoJSONEncoder)
    old_instrument_version = models.CharField(max_length=40)
    old_scorer_version = models.CharField(max_length=20)
    reason = models.TextField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("response", "at", "id")

    def __str__(self) -> str:
        return f"amendment of {self.response} at {self.at:%Y-%m-%d}"


class TimepointScores(models.Model):
    """One course's scores at one timepoint, merged from its responses as they are written: the
    row of the scores export, kept ready so a download reads one row per output row instead of
    merging five or six responses into each (issue 15).

    JSON objects kept as JSON text, the form balm's writer reads, each keyed
    by the export's column: ``scores`` the numbers and ``bands`` the ``*_band`` texts
    (``<instrument>_<scale>``), ``answers`` the numeric answers (``<instrument>_<item>``; the
    catalogue keeps item and scale names apart), ``kinds`` each score column's kind
    (``"number"`` or ``"text"``) and ``items`` the items answered with a number per instrument
    (few distinct values of either: the export finds its columns from them). On PostgreSQL
    ``scores`` and ``answers`` are ``jsonb`` columns read as text (:class:`JsonbText`), from
    which the database writes the exports' lines (:mod:`balm.outcomes.export_copy`).
    ``week`` is the earliest scheduled week of the responses' questionnaires. Written by
    :mod:`balm.outcomes.score_rows` (a submission adds to its row; amending, importing and
    erasing rebuild the course's rows from its responses); ``balm manage score_rows`` compares
    them with a rebuild.
    """

    enrolment = models.ForeignKey(
        "programmes.Enrolment", on_delete=models.CASCADE, related_name="timepoint_scores"
    )
    timepoint = models.CharField(max_length=20, choices=Timepoint.choices)
    week = models.PositiveSmallIntegerField()
    scores = JsonbText(help_text="JSON: {column: number}")
    bands = models.TextField(help_text="JSON: {column: band text}")
    answers = JsonbText(help_text="JSON: {column: numeric answer}")
    kinds = models.TextField(help_text='JSON: {column: "number" or "text"}')
    items = models.TextField(help_text="JSON: {instrument: [item answered with a number]}")

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["enrolment", "timepoint"], name="one_score_row_each"),
        )

    def __str__(self) -> str:
        return f"{self.timepoint} scores of {self.enrolment}"


class Draft(models.Model):
    """Answers saved as a participant goes, so they can stop and resume."""

    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="draft")
    answers = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"draft of {self.assessment}"


class PracticeType(models.TextChoices):
    NONE = "none", "No practice this week"
    SOOTHING_BREATHING = "soothing_breathing", "Soothing rhythm breathing"
    IMAGERY = "compassionate_imagery", "Compassionate imagery (safe place, companion)"
    COMPASSIONATE_SELF = "compassionate_self", "Compassionate self"
    LETTER = "compassionate_letter", "Compassionate letter writing"
    MINDFULNESS = "mindfulness", "Mindfulness"
    PACING = "pacing", "Pacing plan"
    OTHER = "other", "Something else"


class CheckIn(models.Model):
    """The weekly check-in (mood, outlook, acceptance, comfort, pain, practice)."""

    enrolment = models.ForeignKey(
        "programmes.Enrolment", on_delete=models.CASCADE, related_name="checkins"
    )
    week = models.PositiveSmallIntegerField()
    instrument_id = models.CharField(max_length=40)
    instrument_version = models.CharField(max_length=40)
    answers = models.JSONField(encoder=DjangoJSONEncoder)
    scores = models.JSONField(encoder=DjangoJSONEncoder)
    scorer_version = models.CharField(max_length=20)
    practice_type = models.CharField(
        max_length=30, choices=PracticeType.choices, default=PracticeType.NONE
    )
    note = models.TextField(blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_token = models.ForeignKey(
        "api.ApiToken",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The API token it was sent with, if any (its user is entered_by).",
    )
    entry_mode = models.CharField(max_length=30, choices=EntryMode.choices)
    client_id = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    practice_minutes = models.GeneratedField(
        expression=JsonNumber("scores", "practice_minutes"),
        output_field=models.FloatField(),
        db_persist=True,
        help_text="The home-practice minutes of its scores, kept by the database (blank when "
        "they hold no number): the exports sum them per course.",
    )

    class Meta:
        ordering = ("enrolment", "week")
        constraints = (
            models.UniqueConstraint(fields=["enrolment", "week"], name="one_checkin_per_week"),
        )
        # The exports sum each course's minutes from this index alone (an index-only scan on
        # PostgreSQL: the scores export of 500 groups 598 -> 509 ms, docs/performance.md).
        indexes = (
            models.Index(
                fields=["enrolment", "practice_minutes"], name="checkin_minutes_by_course"
            ),
        )

    def __str__(self) -> str:
        return f"check-in week {self.week} for {self.enrolment}"


class SafetyAlertQuerySet(models.QuerySet["SafetyAlert"]):
    def open(self) -> SafetyAlertQuerySet:
        return self.filter(acknowledged_at__isnull=True)


class SafetyAlert(models.Model):
    """A safety item answered above its lowest weight (e.g. PHQ-9 item 9 above 0).

    The ``email_*`` fields record the e-mail to the team, as ``ReminderLog`` does for a
    questionnaire e-mail: ``email_sent_at`` is when it was settled (sent, or not to be sent
    any more: ``email_outcome`` says which). One still unsettled
    ``BALM_REMINDER_RETRY_MINUTES`` after its last attempt is queued again by the periodic
    check, up to ``BALM_REMINDER_MAX_ATTEMPTS`` attempts (see ``balm.outcomes.reminders``).
    """

    # ``email_outcome`` values (the words of ``ReminderLog.outcome``).
    EMAIL_SENDING = "sending"  # a task is sending it: another run leaves it alone
    EMAIL_SENT = "sent"
    EMAIL_GAVE_UP = "not sent: gave up"  # followed by " after N attempts"
    EMAIL_ACKNOWLEDGED = "not sent: acknowledged"  # acknowledged before it went out
    # Alerts raised before delivery was recorded (migration 0003): counted as sent, so the
    # check leaves them alone; a task queued for one before the upgrade still sends it.
    EMAIL_BEFORE_RECORDING = "unknown: raised before e-mail delivery was recorded"

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="alerts")
    item = models.CharField(max_length=40)
    value = models.FloatField()
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_note = models.TextField(blank=True)
    email_sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When its e-mail to the team was sent or settled."
    )
    email_outcome = models.CharField(max_length=200, blank=True)
    email_attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Times its e-mail was handed to the task queue."
    )
    email_last_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When its e-mail was last queued or taken to send."
    )
    email_last_error = models.TextField(
        blank=True, help_text="Why the latest attempt failed (kept after a later success)."
    )
    # Escalation: an alert still open after its site's ``alert_escalation_minutes`` is marked
    # ``escalated_at`` by the periodic check and e-mailed to the site's duty contact; that
    # e-mail is recorded and retried like the first (``balm.outcomes.escalation``).
    escalated_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was escalated to the site's duty contact."
    )
    escalation_sent_at = models.DateTimeField(null=True, blank=True)
    escalation_outcome = models.CharField(max_length=200, blank=True)
    escalation_attempts = models.PositiveSmallIntegerField(default=0)
    escalation_last_attempt_at = models.DateTimeField(null=True, blank=True)
    escalation_last_error = models.TextField(blank=True)

    objects = SafetyAlertQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at",)
        constraints = (
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | Q(acknowledged_at__isnull=False),
                name="acknowledged_has_time",
            ),
        )
        indexes = (
            # The periodic check looks for unsettled e-mails whose last attempt is old.
            models.Index(
                fields=["email_last_attempt_at"],
                condition=Q(email_sent_at__isnull=True),
                name="alert_email_unsettled",
            ),
            # ... and for open alerts not yet escalated.
            models.Index(
                fields=["created_at"],
                condition=Q(acknowledged_at__isnull=True, escalated_at__isnull=True),
                name="alert_open_unescalated",
            ),
            # The open alerts, newest first (the staff home page): only the few not acknowledged.
            models.Index(
                fields=["-created_at"],
                condition=Q(acknowledged_at__isnull=True),
                name="alert_open_newest",
            ),
        )

    def __str__(self) -> str:
        return f"alert {self.item}={self.value:g} on {self.response}"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None

    @property
    def email_failed(self) -> bool:
        """Its e-mail to the team was given up on, or is unsent after a failed attempt."""
        if self.email_sent_at is None:
            return bool(self.email_last_error)
        return self.email_outcome.startswith(self.EMAIL_GAVE_UP)


class ReminderKind(models.TextChoices):
    DUE = "due", "Questionnaire due"
    REMINDER = "reminder", "Reminder"


class ReminderLog(models.Model):
    """One e-mail per assessment and kind, and how sending it went.

    The row is claimed (inserted, under a unique constraint) before the task is enqueued, so
    running ``send_due_reminders`` twice sends nothing twice. ``sent_at`` is when the row was
    settled: sent, or not to be sent any more (``outcome`` says which: answered, closed,
    withdrawn, no address, or given up). A row still unsettled ``BALM_REMINDER_RETRY_MINUTES``
    after its last attempt is queued again by the next check, up to
    ``BALM_REMINDER_MAX_ATTEMPTS`` attempts in all (see ``balm.outcomes.reminders``).
    """

    # ``outcome`` while a task is sending the e-mail: another run of the task leaves it alone.
    SENDING = "sending"
    SENT = "sent"
    GAVE_UP = "not sent: gave up"  # followed by " after N attempts"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    queued_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(
        default=1, help_text="Times the e-mail was handed to the task queue."
    )
    last_attempt_at = models.DateTimeField(
        default=timezone.now, help_text="When it was last queued or taken by a task to send."
    )
    last_error = models.TextField(
        blank=True, help_text="Why the latest attempt failed (kept after a later success)."
    )

    class Meta:
        ordering = ("assessment", "queued_at")
        constraints = (
            models.UniqueConstraint(fields=["assessment", "kind"], name="one_reminder_each_kind"),
        )
        indexes = (
            # The periodic check looks for unsettled rows whose last attempt is old.
            models.Index(
                fields=["last_attempt_at"],
                condition=Q(sent_at__isnull=True),
                name="reminder_unsettled",
            ),
        )

    def __str__(self) -> str:
        return f"{self.kind} e-mail for {self.assessment}"
