"""Qualitative projects of a site, as rows.

Every object carries a ``uid`` (a GUID) that travels as its REFI-QDA ``guid``, so a project
taken out and brought back keeps its ids. Offsets count Unicode code points of a source's
``text`` (NFC, ``\\n`` line endings, fixed at import; see docs/qual.md). Stored text is already
pseudonymised; the mapping lives apart in :class:`PseudonymEntry`, which only administrators
see. Sources, codes and codings are deleted softly (``deleted_at``/``deleted_by``, with an
audit event for each deletion and restore), so months of coding cannot vanish with one click.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from balm.programmes.templates import Timepoint
from balm.qual.project import NOTE_KINDS, NOTE_TARGETS, ORIGINS, SOURCE_KINDS, THEME_LEVELS


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v, v.replace("_", " ")) for v in values]


class QualProject(models.Model):
    """A qualitative study at one site (a site may hold several: one per study)."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("site", "name")
        constraints = (
            models.UniqueConstraint(fields=["site", "name"], name="qual_project_name_per_site"),
        )

    def __str__(self) -> str:
        return self.name


class Coder(models.Model):
    """A person who codes or writes notes in a project (a REFI-QDA ``User``): a balm user, or
    a coder known only by name from an imported project."""

    project = models.ForeignKey(QualProject, on_delete=models.CASCADE, related_name="coders")
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    """The balm user, if any; the coder keeps their name (and codings) if the account goes."""

    class Meta:
        ordering = ("project", "name")
        constraints = (
            models.UniqueConstraint(fields=["project", "name"], name="qual_coder_name_per_project"),
            models.UniqueConstraint(
                fields=["project", "user"], name="qual_coder_user_once_per_project"
            ),
        )

    def __str__(self) -> str:
        return self.name


class Case(models.Model):
    """A case of the project, matched to a participant of the site by pseudonym when one has
    that pseudonym (``participant`` stays empty for a case no participant matched)."""

    project = models.ForeignKey(QualProject, on_delete=models.CASCADE, related_name="cases")
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    participant = models.ForeignKey(
        "accounts.Participant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="qual_cases",
    )
    description = models.TextField(blank=True)
    variables = models.JSONField(default=dict, blank=True)
    """Variable values as REFI-QDA carries them: ``{name: {"type": ..., "value": ...}}``."""

    class Meta:
        ordering = ("project", "name")
        constraints = (
            models.UniqueConstraint(fields=["project", "name"], name="qual_case_name_per_project"),
        )

    def __str__(self) -> str:
        return self.name


class SoftDeleted(models.Model):
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Source(SoftDeleted):
    """An interview, focus group, written feedback or reflection; ``text`` is pseudonymised."""

    project = models.ForeignKey(QualProject, on_delete=models.CASCADE, related_name="sources")
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=_choices(SOURCE_KINDS))
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="sources"
    )
    participant = models.ForeignKey(
        "accounts.Participant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="qual_sources",
    )
    enrolment = models.ForeignKey(
        "programmes.Enrolment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="qual_sources",
    )
    timepoint = models.CharField(
        max_length=12, choices=Timepoint.choices, blank=True, default="", db_index=True
    )
    """The programme timepoint the text was gathered at; blank when it is tied to none."""
    text = models.TextField(blank=True)
    turns = models.JSONField(default=list, blank=True)
    """Speaker turns: ``[{"start", "end", "speaker", "begin_ms", "end_ms"}, ...]``."""
    creator = models.ForeignKey(
        Coder, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    """Who added it in the project's own terms (REFI-QDA ``creatingUser``)."""
    created_at = models.DateTimeField(null=True, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("project", "name")
        constraints = (
            models.UniqueConstraint(
                fields=["project", "name"],
                condition=Q(deleted_at__isnull=True),
                name="qual_source_name_per_project",
            ),
        )

    def __str__(self) -> str:
        return self.name


class Code(SoftDeleted):
    project = models.ForeignKey(QualProject, on_delete=models.CASCADE, related_name="codes")
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    description = models.TextField(blank=True)
    colour = models.CharField(max_length=7, blank=True, help_text="#rrggbb, or blank.")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("project", "position", "id")

    def __str__(self) -> str:
        return self.name


class Coding(SoftDeleted):
    """``code`` applied by ``coder`` to ``source.text[start:end]``."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="codings")
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    code = models.ForeignKey(Code, on_delete=models.PROTECT, related_name="codings")
    coder = models.ForeignKey(Coder, on_delete=models.PROTECT, related_name="codings")
    origin = models.CharField(max_length=12, choices=_choices(ORIGINS), default="person")
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    """For a suggestion: the person who accepted it (suggestions never decide)."""
    created_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("source", "start", "end", "id")
        constraints = (
            models.CheckConstraint(
                condition=Q(start__lt=models.F("end")), name="coding_start_lt_end"
            ),
        )

    def __str__(self) -> str:
        return f"{self.code} {self.start}-{self.end}"


class Note(SoftDeleted):
    """A memo or an IPA exploratory note on the project, a source (span), a coding, a code or a
    theme; ``target_uid`` names the target (empty for the project)."""

    project = models.ForeignKey(QualProject, on_delete=models.CASCADE, related_name="notes")
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    author = models.ForeignKey(Coder, on_delete=models.PROTECT, related_name="notes")
    kind = models.CharField(max_length=12, choices=_choices(NOTE_KINDS), default="memo")
    text = models.TextField()
    target_kind = models.CharField(max_length=10, choices=_choices(NOTE_TARGETS))
    target_uid = models.UUIDField(null=True, blank=True)
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.PROTECT, related_name="anchored_notes"
    )
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("project", "id")
        constraints = (
            models.CheckConstraint(
                condition=Q(source__isnull=True, start__isnull=True, end__isnull=True)
                | Q(source__isnull=False, start__lt=models.F("end")),
                name="note_anchor_whole_and_ordered",
            ),
        )

    def __str__(self) -> str:
        return f"{self.kind} {self.uid}"


class Theme(models.Model):
    """One node of the theme hierarchy (IPA statement / personal / group, or reflexive TA
    subtheme / theme); statements and personal themes belong to one case."""

    project = models.ForeignKey(QualProject, on_delete=models.CASCADE, related_name="themes")
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=300)
    level = models.CharField(max_length=10, choices=_choices(THEME_LEVELS))
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="themes"
    )
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("project", "position", "id")

    def __str__(self) -> str:
        return self.name


class ThemeMember(models.Model):
    """A coding, code or note gathered under a theme (named by its ``uid``)."""

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="members")
    kind = models.CharField(
        max_length=8, choices=[("coding", "coding"), ("code", "code"), ("note", "note")]
    )
    member_uid = models.UUIDField()

    class Meta:
        ordering = ("theme", "id")
        constraints = (
            models.UniqueConstraint(
                fields=["theme", "kind", "member_uid"], name="qual_theme_member_once"
            ),
        )

    def __str__(self) -> str:
        return f"{self.kind} {self.member_uid}"


class PseudonymEntry(models.Model):
    """Original name (folded: lower case, single spaces) -> its pseudonym at a site.

    Kept apart from the text and never exported; only administrators of the site see it."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    original = models.CharField(max_length=300)
    replacement = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("site", "original")
        constraints = (
            models.UniqueConstraint(fields=["site", "original"], name="qual_pseudonym_once"),
        )

    def __str__(self) -> str:
        return f"{self.original} -> {self.replacement}"


class ProgrammeFeedback(models.Model):
    """A participant's answers to the end-of-programme open questions, in their own words.

    Only the participant (who wrote them) and the site's coders see them here; a source made
    from them for coding (``source``) is pseudonymised on the way in like any text."""

    enrolment = models.OneToOneField(
        "programmes.Enrolment", on_delete=models.PROTECT, related_name="programme_feedback"
    )
    helped = models.TextField(blank=True)
    hard = models.TextField(blank=True)
    change = models.TextField(blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    """The source it became in a project, once brought in."""

    def __str__(self) -> str:
        return f"feedback {self.enrolment_id}"
