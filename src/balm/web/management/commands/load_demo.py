"""``balm manage load_demo`` — load the synthetic demo site (once) and print its log-ins."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from balm.web.demo import load_demo


class Command(BaseCommand):
    help = "Load the synthetic demo site (idempotent) and print log-ins and personal links."

    def handle(self, *args: Any, **options: Any) -> None:
        info = load_demo()
        self.stdout.write(("Loaded" if info.created else "Already loaded") + f": {info.site}")
        for role, username, password in info.logins:
            self.stdout.write(f"  {role:<13} {username:<12} {password}")
        for pseudonym, path in info.links:
            self.stdout.write(f"  link for {pseudonym}: {settings.SITE_URL}{path}")
