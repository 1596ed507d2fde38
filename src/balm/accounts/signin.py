"""The writes of staff sign-in (docs/security.md): two-factor set-up and recovery codes,
lifting a sign-in lock, signing out everywhere. Keyword-only, an actor, one transaction, an
audit record; who may do what comes from :mod:`balm.accounts.permissions`.

Two-factor devices are django-otp's: one TOTP device (an authenticator app) and one static
device holding the recovery codes, each code good once.
"""

from __future__ import annotations

from datetime import timedelta

from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from balm.accounts import permissions
from balm.accounts.errors import InvalidInput, NotAllowed, Problem
from balm.accounts.models import User
from balm.audit.models import record

RECOVERY_CODES = 10
AUTHENTICATOR = "authenticator app"
RECOVERY = "recovery codes"


def pending_authenticator(*, user: User) -> TOTPDevice:
    """The authenticator being set up (not yet confirmed by a code): the same secret until it
    is confirmed, so reloading the set-up page does not invalidate a scanned QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)
    return device


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def confirm_authenticator(*, user: User, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the authenticator with a first code from it: it replaces any earlier one, and
    a fresh set of recovery codes is made. Returns the codes (shown once)."""
    if device.user_id != user.pk or device.confirmed:
        raise InvalidInput([Problem("code", "Start the set-up again.")])
    allowed, _ = device.verify_is_allowed()
    if not allowed:  # django-otp's back-off after a wrong code: 1, 2, 4... seconds
        raise InvalidInput([Problem("code", "Too many tries at once: wait a moment and retry.")])
    if not device.verify_token(code.strip().replace(" ", "")):
        raise InvalidInput(
            [Problem("code", "That code did not match. Check the app's clock and try again.")]
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        record("two_factor.enable", by=user, obj=user, details={"recovery_codes": len(codes)})
    return codes


def replace_recovery_codes(*, user: User, by: User) -> list[str]:
    """A new set of recovery codes for ``user`` (the old ones stop working)."""
    permissions.require(by.pk == user.pk, "Only you can make your recovery codes.")
    permissions.require(
        TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        "Set up an authenticator app first.",
    )
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        record("two_factor.recovery_codes", by=by, obj=user, details={"codes": len(codes)})
    return codes


def sign_out_everywhere(*, user: User, by: User) -> None:
    """End every session of ``user`` on every device, this one included (the session hash
    holds ``session_generation``: see :meth:`balm.accounts.models.User._get_session_auth_hash`)."""
    permissions.require(by.pk == user.pk, "You can sign only yourself out everywhere.")
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
        user.refresh_from_db(fields=["session_generation"])
        record("sign_in.sign_out_everywhere", by=by, obj=user)


def _locked(field: str) -> list[str]:
    """Usernames or addresses (``field``) locked now: failures within the lock time reach the
    limit, counted as django-axes counts them (summed over its rows)."""
    since = timezone.now() - timedelta(seconds=settings.AXES_COOLOFF_TIME.total_seconds())
    rows = (
        AccessAttempt.objects.filter(attempt_time__gte=since)
        .exclude(**{field: None})
        .values(field)
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by(field)
    )
    return [row[field] for row in rows]


def sign_in_locks(*, viewer: User) -> tuple[list[str], list[str]]:
    """The locked accounts ``viewer`` may unlock and the locked addresses (administrators)."""
    if not permissions.can_manage_sign_in_locks(viewer):
        return [], []
    allowed = permissions.lockable_usernames(viewer)
    usernames = _locked("username")
    if allowed is not None:
        mine = set(allowed)
        usernames = [u for u in usernames if u in mine]
    return usernames, _locked("ip_address")


def unlock_sign_in(*, by: User, username: str = "", address: str = "") -> int:
    """Lift the lock on an account (``username``) or an address; returns the attempts cleared.

    An administrator lifts the locks of their sites' staff and of addresses; a superuser any."""
    permissions.require(permissions.can_manage_sign_in_locks(by))
    if bool(username) == bool(address):
        raise InvalidInput([Problem("lock", "Choose one account or one address to unlock.")])
    if username:
        allowed = permissions.lockable_usernames(by)
        if allowed is not None and username not in set(allowed):
            raise NotAllowed("You can unlock only the staff of your sites.")
    with transaction.atomic():
        cleared = reset(username=username or None, ip=address or None)
        target = User.objects.filter(username=username).first() if username else None
        record(
            "sign_in.unlock",
            by=by,
            obj=target or by,
            details={"username": username} if username else {"address": address},
        )
    return cleared


def reset_two_factor(*, user: User, by: User | None) -> int:
    """Remove a user's authenticator app and recovery codes (a lost phone and lost codes): at
    their next sign-in they set up again. The system (``by=None``) or a superuser only.
    Returns the devices removed."""
    if by is not None:
        permissions.require(by.is_superuser, "Only a superuser resets someone's second step.")
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[0]
        removed += StaticDevice.objects.filter(user=user).delete()[0]
        record("two_factor.reset", by=by, obj=user, details={"devices": removed})
    return removed
