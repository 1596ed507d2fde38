"""What the import commands share: finding the site and user they act for, and reporting
every problem of a refused import at once."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.management.base import CommandError

from balm.accounts.errors import Problem
from balm.accounts.models import Site, User


def site_and_user(slug: str, username: str | None) -> tuple[Site, User | None]:
    """The site by slug and the acting user (None: the system), or a CommandError."""
    site = Site.objects.filter(slug=slug).first()
    if site is None:
        known = ", ".join(Site.objects.order_by("slug").values_list("slug", flat=True))
        raise CommandError(f"no site {slug!r}; sites: {known or 'none'}")
    user = None
    if username:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user called {username!r}")
    return site, user


def problems_error(problems: Iterable[str | Problem]) -> CommandError:
    """Every problem, one a line, and that nothing was imported."""
    shown = [
        (f"{p.field}: {p.message}" if p.field else p.message) if isinstance(p, Problem) else p
        for p in problems
    ]
    lines = "\n".join(f"  {p}" for p in shown)
    return CommandError(f"{len(shown)} problem(s); nothing imported:\n{lines}")
