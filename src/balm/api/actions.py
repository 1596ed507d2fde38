"""Writes for API tokens: keyword-only, an actor, one transaction, an audit record."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from balm.accounts import permissions
from balm.accounts.errors import InvalidInput, Problem
from balm.accounts.models import User, hash_token, new_token
from balm.api.models import TOKEN_PREFIX, ApiToken
from balm.audit.models import record


def _may_manage(by: User | None, owner: User) -> bool:
    """The owner themselves, a superuser, or the system (``by=None``)."""
    return by is None or by.pk == owner.pk or by.is_superuser


def issue_api_token(*, user: User, name: str, by: User | None) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the record and the token (shown once, stored hashed)."""
    permissions.require(_may_manage(by, user), "Only the owner or a superuser issues a token.")
    problems = []
    if not name.strip():
        problems.append(Problem("name", "Say what the token is for."))
    elif len(name.strip()) > 100:
        problems.append(Problem("name", "Keep the name to 100 characters."))
    if not user.is_active:
        problems.append(Problem("user", "This account is not active."))
    if problems:
        raise InvalidInput(problems)
    token = TOKEN_PREFIX + new_token()
    with transaction.atomic():
        api_token = ApiToken.objects.create(
            user=user, name=name.strip(), token_hash=hash_token(token), created_by=by
        )
        record("api_token.issue", by=by, obj=api_token, details={"user": user.pk})
    return api_token, token


def revoke_api_token(*, token: ApiToken, by: User | None) -> ApiToken:
    """Stop a token working at once (idempotent)."""
    permissions.require(_may_manage(by, token.user), "Only the owner or a superuser revokes it.")
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            return locked
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
