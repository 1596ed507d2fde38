"""``balm manage revoke_api_token ID``: the token stops working at once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from balm.api.actions import revoke_api_token
from balm.api.models import ApiToken


class Command(BaseCommand):
    help = "Revoke an API token by its id (as printed when it was issued)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("token_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        api_token = ApiToken.objects.filter(pk=options["token_id"]).first()
        if api_token is None:
            raise CommandError(f"no token with id {options['token_id']}")
        revoke_api_token(token=api_token, by=None)
        self.stdout.write(f"revoked token {api_token.pk} ({api_token.name})")
