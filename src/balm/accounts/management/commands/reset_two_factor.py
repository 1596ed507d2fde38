"""``balm manage reset_two_factor USERNAME``: a staff member lost their phone and their
recovery codes; they set up an authenticator app again at their next sign-in."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from balm.accounts.models import User
from balm.accounts.signin import reset_two_factor


class Command(BaseCommand):
    help = "Remove a user's authenticator app and recovery codes (audited)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user called {options['username']!r}")
        removed = reset_two_factor(user=user, by=None)
        self.stdout.write(
            f"{user.username}: second step reset ({removed} device(s) removed); they set up "
            "an authenticator app at their next sign-in."
        )
