"""Sites, users, memberships (roles), participants and personal links."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone


class Site(models.Model):
    """A pain service. Every cohort, participant and record belongs to exactly one site."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    crisis_contacts = models.TextField(
        help_text="Shown to a participant after a safety answer: who to call, when, how.",
    )
    enabled_instruments = models.JSONField(
        default=list,
        blank=True,
        help_text="Instrument ids this site collects; empty means every catalogue instrument.",
    )
    alert_escalation_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=(
            "A safety answer not acknowledged within this many minutes is e-mailed to the duty "
            "contact below and marked escalated. Blank: never escalated."
        ),
    )
    duty_email = models.EmailField(
        blank=True, help_text="The duty clinician's (or team's) address for escalated alerts."
    )
    researchers_see_checkin_notes = models.BooleanField(
        default=False,
        help_text=(
            "Participants' check-in notes are free text and may name people: by default only "
            "clinical staff may export them. Tick only where your approvals allow researchers "
            "to have them."
        ),
    )
    facilitators_need_two_factor = models.BooleanField(
        default=False,
        help_text=(
            "Administrators and researchers always sign in with a second step (a code from an "
            "authenticator app). Tick to ask it of this site's facilitators too."
        ),
    )
    api_token_days = models.PositiveIntegerField(
        default=90,
        validators=[MinValueValidator(1)],
        help_text=(
            "Days a new API token of this site's staff works before it expires (a member of "
            "several sites gets the shortest)."
        ),
    )
    retention_years = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=(
            "Years after a participant's programme ends (completed or withdrawn) before their "
            "name, contact details and personal links are removed (balm manage apply_retention; "
            "the worker does it on its timer). Research data stays pseudonymised where consent "
            "was recorded. Blank: kept until erased by hand."
        ),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    def instrument_enabled(self, instrument_id: str) -> bool:
        return not self.enabled_instruments or instrument_id in self.enabled_instruments


class User(AbstractUser):
    """A person who logs in: staff (through memberships) or a participant with an account."""

    session_generation = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Raised by 'sign out everywhere': every session signed in before then ends.",
    )

    class Meta:
        ordering = ("username",)

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django ends a session whose stored hash no longer matches this one (it is how a
        password change signs the other sessions out); the generation is part of it, so
        raising it ends every session of the user at once, whatever the session store."""
        from django.utils.crypto import salted_hmac

        return salted_hmac(
            "balm.accounts.User.session_auth_hash",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", "Administrator"
    FACILITATOR = "facilitator", "Facilitator"
    RESEARCHER = "researcher", "Researcher"


class Membership(models.Model):
    """A user's role at a site; a user may hold several roles at several sites."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["user", "site", "role"], name="one_role_once_per_site"),
        )

    def __str__(self) -> str:
        return f"{self.user} {self.role} at {self.site}"


class Participant(models.Model):
    """A person living with persistent pain who takes part in a programme.

    Researchers see only ``pseudonym``; clinical staff also see ``name``, ``email``, ``phone``
    and ``gp``.
    A participant answers through a personal link, or logs in with a linked ``user``.
    """

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="participants")
    pseudonym = models.CharField(max_length=40)
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True, help_text="For questionnaire reminders.")
    phone = models.CharField(
        max_length=40, blank=True, help_text="For the clinical team, e.g. after a safety answer."
    )
    gp = models.TextField(
        blank=True, verbose_name="GP", help_text="GP practice, name and telephone number."
    )
    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="participant"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("site", "pseudonym")
        constraints = (
            models.UniqueConstraint(fields=["site", "pseudonym"], name="pseudonym_unique_per_site"),
        )
        indexes = (
            # Staff search a pseudonym in any case (the home page): UPPER(pseudonym) = UPPER(q).
            models.Index(Upper("pseudonym"), name="participant_pseudonym_upper"),
        )

    def __str__(self) -> str:
        return self.pseudonym


def hash_token(token: str) -> str:
    """SHA-256 of a link token; only the hash is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A long random token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


class ParticipantLink(models.Model):
    """A personal link that lets a participant answer without an account.

    The token itself is shown once (in the e-mail or on screen) and never stored.
    """

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"link for {self.participant} ({self.token_hash[:8]})"

    def is_active(self, now: datetime | None = None) -> bool:
        moment = now or timezone.now()
        return self.revoked_at is None and moment < self.expires_at

    @classmethod
    def find_active(cls, token: str, now: datetime | None = None) -> ParticipantLink | None:
        """The active link for ``token``, or None (unknown, expired or revoked alike)."""
        if not token or len(token) > 200:
            return None
        link = (
            cls.objects.select_related("participant", "participant__site")
            .filter(token_hash=hash_token(token))
            .first()
        )
        if link is None or not link.is_active(now):
            return None
        return link
