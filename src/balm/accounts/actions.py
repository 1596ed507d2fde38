"""Writes for sites, people and personal links. Keyword-only, an actor, one transaction, audit."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from balm.accounts import permissions
from balm.accounts.errors import InvalidInput, Problem
from balm.accounts.models import (
    Membership,
    Participant,
    ParticipantLink,
    Role,
    Site,
    User,
    hash_token,
    new_token,
)
from balm.audit.models import record


def create_site(
    *,
    name: str,
    slug: str,
    crisis_contacts: str,
    enabled_instruments: list[str] | None = None,
    by: User | None,
) -> Site:
    """A new pain service. Only superusers (or the system, ``by=None``) create sites."""
    if by is not None:
        permissions.require(by.is_superuser, "Only a superuser can create a site.")
    problems = []
    if not name.strip():
        problems.append(Problem("name", "Give the service a name."))
    if not crisis_contacts.strip():
        problems.append(Problem("crisis_contacts", "Crisis contacts must be set for every site."))
    if Site.objects.filter(slug=slug).exists():
        problems.append(Problem("slug", f"A site with the short name {slug!r} already exists."))
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        site = Site.objects.create(
            name=name.strip(),
            slug=slug,
            crisis_contacts=crisis_contacts.strip(),
            enabled_instruments=list(enabled_instruments or []),
        )
        record("site.create", by=by, obj=site, site=site)
    return site


def add_membership(*, user: User, site: Site, role: str, by: User | None) -> Membership:
    """Give ``user`` a role at ``site`` (administrators of the site only)."""
    if by is not None:
        permissions.require(permissions.can_manage_site(by, site))
    if role not in Role.values:
        raise InvalidInput([Problem("role", f"{role!r} is not a role.")])
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(user=user, site=site, role=role)
        if created:
            record(
                "membership.add",
                by=by,
                obj=membership,
                site=site,
                details={"user": user.username, "role": role},
            )
    return membership


def create_participant(
    *,
    site: Site,
    pseudonym: str,
    name: str = "",
    email: str = "",
    phone: str = "",
    gp: str = "",
    user: User | None = None,
    by: User | None,
) -> Participant:
    """A participant at ``site``; the pseudonym is what researchers see."""
    if by is not None:
        permissions.require(permissions.can_edit_clinical(by, site))
    problems = []
    pseudonym = pseudonym.strip()
    if not pseudonym:
        problems.append(Problem("pseudonym", "Give the participant a pseudonym."))
    elif Participant.objects.filter(site=site, pseudonym=pseudonym).exists():
        problems.append(Problem("pseudonym", "This pseudonym is already used at this site."))
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        participant = Participant.objects.create(
            site=site,
            pseudonym=pseudonym,
            name=name.strip(),
            email=email.strip(),
            phone=phone.strip(),
            gp=gp.strip(),
            user=user,
        )
        record("participant.create", by=by, obj=participant, site=site)
    return participant


def issue_participant_link(
    *, participant: Participant, by: User | None, days: int | None = None
) -> tuple[ParticipantLink, str]:
    """A new personal link; returns the link and its token (shown once, stored only hashed)."""
    if by is not None:
        permissions.require(permissions.can_edit_clinical(by, participant.site))
    lifetime = days if days is not None else settings.BALM_LINK_DAYS
    if lifetime < 1:
        raise InvalidInput([Problem("days", "A link must last at least one day.")])
    token = new_token()
    with transaction.atomic():
        link = ParticipantLink.objects.create(
            participant=participant,
            token_hash=hash_token(token),
            created_by=by,
            expires_at=timezone.now() + timedelta(days=lifetime),
        )
        record(
            "participant_link.issue",
            by=by,
            obj=link,
            site=participant.site,
            details={"participant": participant.pk, "days": lifetime},
        )
    return link, token


def revoke_participant_link(*, link: ParticipantLink, by: User | None, reason: str = "") -> None:
    """Stop a link working at once (idempotent)."""
    if by is not None:
        permissions.require(permissions.can_edit_clinical(by, link.participant.site))
    with transaction.atomic():
        locked = ParticipantLink.objects.select_for_update().get(pk=link.pk)
        if locked.revoked_at is not None:
            return
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        link.revoked_at = locked.revoked_at
        record(
            "participant_link.revoke",
            by=by,
            obj=locked,
            site=link.participant.site,
            details={"reason": reason},
        )


def open_participant_link(*, token: str) -> ParticipantLink | None:
    """The active link for ``token`` (noting when it was used), or None."""
    link = ParticipantLink.find_active(token)
    if link is None:
        return None
    ParticipantLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())
    return link
