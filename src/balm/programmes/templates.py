"""Programme templates: the session plan and the measurement schedule of a programme."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from balm.programmes.schedule import unfit_checkin, unknown_instrument


class Timepoint(models.TextChoices):
    BASELINE = "baseline", "Baseline"
    MID = "mid", "Mid-point"
    END = "end", "End"
    FOLLOW_UP = "follow_up", "Follow-up"


#: What participants call each timepoint, everywhere they see one (pages, e-mails, progress);
#: staff see the ``Timepoint`` labels (Baseline, Mid-point, End, Follow-up).
PARTICIPANT_TIMEPOINT = {
    Timepoint.BASELINE: "Start",
    Timepoint.MID: "Middle",
    Timepoint.END: "End",
    Timepoint.FOLLOW_UP: "Follow-up",
}


class ProgrammeTemplate(models.Model):
    """A programme a cohort is created from; shipped templates have no site.

    ``checkin_instrument`` is the catalogue id of the weekly check-in (every week 1..weeks),
    or blank for none; it must be an instrument the check-in can ask
    (:func:`balm.programmes.schedule.checkin_instrument_ids`).
    """

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    version = models.CharField(max_length=20, default="1")
    weeks = models.PositiveSmallIntegerField(default=12)
    checkin_instrument = models.CharField(max_length=40, default="checkin", blank=True)
    site = models.ForeignKey(
        "accounts.Site",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="programme_templates",
        help_text="Empty for a template shipped with balm and shared by every site.",
    )
    source = models.CharField(max_length=200, blank=True, help_text="Data file it was loaded from")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The weekly check-in must be blank or a check-in instrument of the catalogue (an
        admin form shows the allowed ids)."""
        super().clean()
        why_not = unfit_checkin(self.checkin_instrument)
        if why_not:
            raise ValidationError({"checkin_instrument": why_not})


class SessionPlan(models.Model):
    """One planned session of a template: what it is for and what people do."""

    template = models.ForeignKey(ProgrammeTemplate, on_delete=models.CASCADE, related_name="plans")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    aims = models.TextField()
    exercise = models.TextField(help_text="The in-session exercise.")
    home_practice = models.TextField()

    class Meta:
        ordering = ("template", "number")
        constraints = (
            models.UniqueConstraint(fields=["template", "number"], name="one_plan_per_number"),
        )

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class ScheduleEntry(models.Model):
    """An instrument due at a week of the programme (week 0 = baseline)."""

    template = models.ForeignKey(
        ProgrammeTemplate, on_delete=models.CASCADE, related_name="schedule"
    )
    instrument_id = models.CharField(max_length=40)
    timepoint = models.CharField(max_length=20, choices=Timepoint.choices)
    week = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ("template", "week", "instrument_id")
        verbose_name_plural = "schedule entries"
        constraints = (
            models.UniqueConstraint(
                fields=["template", "instrument_id", "timepoint"], name="one_entry_per_timepoint"
            ),
        )

    def __str__(self) -> str:
        return f"{self.instrument_id} at {self.timepoint} (week {self.week})"

    def clean(self) -> None:
        """The instrument must be in the catalogue (an admin form shows the allowed ids)."""
        super().clean()
        why_not = unknown_instrument(self.instrument_id)
        if why_not:
            raise ValidationError({"instrument_id": why_not})
