"""API tokens: a long random secret shown once, stored only as its SHA-256 hash."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from balm.accounts.models import hash_token

TOKEN_PREFIX = "balm_"


class ApiToken(models.Model):
    """A bearer token (``Authorization: Bearer <token>``) acting as ``user``.

    The token grants exactly what ``user`` may see and do on the pages; revoking it stops it
    working at once.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        max_length=100, help_text="What the token is for, e.g. 'clinic tablet'."
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        help_text="The token stops working at this moment (the site's token lifetime)."
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @classmethod
    def find_active(cls, token: str) -> ApiToken | None:
        """The active token for ``token`` (not revoked, not expired, its user active), or None."""
        if not token or len(token) > 200:
            return None
        found = cls.objects.select_related("user").filter(token_hash=hash_token(token)).first()
        if found is None or not found.is_active or not found.user.is_active:
            return None
        return found
