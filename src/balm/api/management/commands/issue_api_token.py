"""``balm manage issue_api_token USERNAME --name "clinic tablet"``: prints the token once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from balm.accounts.errors import InvalidInput
from balm.accounts.models import User
from balm.api.actions import issue_api_token


class Command(BaseCommand):
    help = "Issue an API token for a user; the token is shown once and stored only hashed."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="What the token is for.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user called {options['username']!r}")
        try:
            api_token, token = issue_api_token(user=user, name=options["name"], by=None)
        except InvalidInput as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"token {api_token.pk} for {user.username}: {token}")
        self.stdout.write(
            "Keep it secret; it is not shown again. Send: Authorization: Bearer <token>"
        )
