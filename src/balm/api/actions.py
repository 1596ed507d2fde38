"""Writes for API tokens: keyword-only, an actor, one transaction, an audit record.

Staff issue and revoke their own tokens on ``/account/tokens/``; ``balm manage
issue_api_token`` / ``revoke_api_token`` act as the system (``by=None``) for anyone; superusers
revoke in the admin. Who may do what: ``balm.accounts.permissions.can_issue_api_token`` and
``can_revoke_api_token``.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from balm.accounts import permissions
from balm.accounts.errors import InvalidInput, Problem
from balm.accounts.models import Site, User, hash_token, new_token
from balm.api.models import TOKEN_PREFIX, ApiToken
from balm.audit.models import record

NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length or 100


def token_lifetime_days(user: User) -> int:
    """Days a new token of ``user`` works: the shortest lifetime among the sites where they
    hold a role, or ``BALM_API_TOKEN_DAYS`` for someone with none (a superuser, a participant)."""
    days = (
        Site.objects.filter(memberships__user=user)
        .order_by("api_token_days")
        .values_list("api_token_days", flat=True)
        .first()
    )
    return int(days) if days is not None else int(settings.BALM_API_TOKEN_DAYS)


def issue_api_token(*, user: User, name: str, by: User | None) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the record and the token (shown once, stored hashed).

    ``by``: the system (``None``), a superuser, or a staff member issuing their own. It expires
    after :func:`token_lifetime_days`."""
    if by is not None:
        permissions.require(
            permissions.can_issue_api_token(by, user),
            "Staff issue their own tokens; a superuser issues anyone's.",
        )
    problems = []
    if not name.strip():
        problems.append(Problem("name", "Say what the token is for."))
    elif len(name.strip()) > NAME_MAX_LENGTH:
        problems.append(Problem("name", f"Keep the name to {NAME_MAX_LENGTH} characters."))
    if not user.is_active:
        problems.append(Problem("user", "This account is not active."))
    if problems:
        raise InvalidInput(problems)
    token = TOKEN_PREFIX + new_token()
    days = token_lifetime_days(user)
    with transaction.atomic():
        api_token = ApiToken.objects.create(
            user=user,
            name=name.strip(),
            token_hash=hash_token(token),
            created_by=by,
            expires_at=timezone.now() + timedelta(days=days),
        )
        record("api_token.issue", by=by, obj=api_token, details={"user": user.pk, "days": days})
    return api_token, token


def revoke_api_token(*, token: ApiToken, by: User | None) -> ApiToken:
    """Stop a token working at once (idempotent)."""
    if by is not None:
        permissions.require(
            permissions.can_revoke_api_token(by, token), "Only the owner or a superuser revokes it."
        )
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            record("api_token.revoke", by=by, obj=locked, details={"user": locked.user_id})
    token.revoked_at = locked.revoked_at
    return locked


def note_api_token_used(*, token: ApiToken) -> None:
    """Remember when a token was last used (at most once a minute, no audit record)."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
