"""Cohorts (groups), enrolments with their status history, sessions and attendance."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Format(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    ONLINE = "online", "Online"
    HYBRID = "hybrid", "Hybrid"


class CohortStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"
    CANCELLED = "cancelled", "Cancelled"


class Cohort(models.Model):
    """A group running one programme at one site."""

    template = models.ForeignKey(
        "programmes.ProgrammeTemplate", on_delete=models.PROTECT, related_name="cohorts"
    )
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="cohorts")
    name = models.CharField(max_length=200)
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="facilitated_cohorts"
    )
    start_date = models.DateField()
    format = models.CharField(max_length=20, choices=Format.choices)
    status = models.CharField(
        max_length=20, choices=CohortStatus.choices, default=CohortStatus.PLANNED
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-start_date", "name")
        indexes = (
            # The staff home page: a site's groups by start date, newest first.
            models.Index(fields=["site", "-start_date"], name="cohort_site_newest"),
        )

    def __str__(self) -> str:
        return self.name


class EnrolmentStatus(models.TextChoices):
    REFERRED = "referred", "Referred"
    ASSESSED = "assessed", "Assessed"
    STARTED = "started", "Started"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"


# Which status may follow which. Withdrawal is possible from any open status.
TRANSITIONS: dict[str, frozenset[str]] = {
    EnrolmentStatus.REFERRED: frozenset({EnrolmentStatus.ASSESSED, EnrolmentStatus.WITHDRAWN}),
    EnrolmentStatus.ASSESSED: frozenset({EnrolmentStatus.STARTED, EnrolmentStatus.WITHDRAWN}),
    EnrolmentStatus.STARTED: frozenset({EnrolmentStatus.COMPLETED, EnrolmentStatus.WITHDRAWN}),
    EnrolmentStatus.COMPLETED: frozenset(),
    EnrolmentStatus.WITHDRAWN: frozenset(),
}


def transition_problem(current: str, new: str) -> str | None:
    """Why ``current`` cannot move to ``new`` (a sentence), or None when it can. Pure."""
    if new not in TRANSITIONS:
        return f"{new!r} is not an enrolment status"
    if new in TRANSITIONS.get(current, frozenset()):
        return None
    allowed = sorted(TRANSITIONS.get(current, frozenset()))
    if not allowed:
        return f"the enrolment is already {current}; it cannot change"
    return f"from {current} the next status can be {' or '.join(allowed)}, not {new}"


class DiagnosisCategory(models.TextChoices):
    BACK_SPINAL = "back_spinal", "Back or spinal pain"
    FIBROMYALGIA = "fibromyalgia", "Fibromyalgia or widespread pain"
    MUSCULOSKELETAL = "musculoskeletal", "Arthritis or other musculoskeletal pain"
    NEUROPATHIC = "neuropathic", "Neuropathic pain"
    CRPS = "crps", "Complex regional pain syndrome"
    HEADACHE = "headache", "Headache or facial pain"
    PELVIC_ABDOMINAL = "pelvic_abdominal", "Pelvic or abdominal pain"
    OTHER = "other", "Other or mixed"


class Enrolment(models.Model):
    """A participant in a cohort. ``status`` mirrors the latest row of its history."""

    participant = models.ForeignKey(
        "accounts.Participant", on_delete=models.PROTECT, related_name="enrolments"
    )
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="enrolments")
    diagnosis_category = models.CharField(max_length=30, choices=DiagnosisCategory.choices)
    format = models.CharField(max_length=20, choices=Format.choices)
    consent_recorded_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=EnrolmentStatus.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("cohort", "participant__pseudonym")
        constraints = (
            models.UniqueConstraint(fields=["participant", "cohort"], name="enrolled_once"),
        )

    def __str__(self) -> str:
        return f"{self.participant} in {self.cohort}"

    @property
    def site(self):  # type: ignore[no-untyped-def]
        return self.cohort.site


class EnrolmentStatusChange(models.Model):
    """One step of an enrolment's history: the status it reached, when, why and who said so."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="history")
    status = models.CharField(max_length=20, choices=EnrolmentStatus.choices)
    on = models.DateField()
    reason = models.TextField(blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("enrolment", "on", "recorded_at", "id")

    def __str__(self) -> str:
        return f"{self.enrolment}: {self.status} on {self.on}"


class Session(models.Model):
    """One delivered (or planned) session of a cohort."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="sessions")
    number = models.PositiveSmallIntegerField()
    date = models.DateField(null=True, blank=True)
    plan = models.ForeignKey(
        "programmes.SessionPlan", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delivered_content = models.TextField(blank=True)
    facilitator_feedback = models.TextField(blank=True)
    reflections = models.TextField(blank=True)

    class Meta:
        ordering = ("cohort", "number")
        constraints = (
            models.UniqueConstraint(fields=["cohort", "number"], name="one_session_per_number"),
        )

    def __str__(self) -> str:
        return f"{self.cohort} session {self.number}"

    @property
    def title(self) -> str:
        return self.plan.title if self.plan else f"Session {self.number}"


class AttendanceMark(models.TextChoices):
    PRESENT = "present", "Present"
    ABSENT = "absent", "Absent"
    APOLOGIES = "apologies", "Apologies sent"


class Attendance(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendance")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="attendance")
    mark = models.CharField(max_length=20, choices=AttendanceMark.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("session", "enrolment")
        constraints = (
            models.UniqueConstraint(fields=["session", "enrolment"], name="one_mark_per_session"),
        )

    def __str__(self) -> str:
        return f"{self.enrolment} {self.mark} at {self.session}"
