"""Errors that actions raise for people to read, kept apart from programmer errors.

An action raises :class:`InvalidInput` with *every* problem it found, each tied to the field
it concerns, so a page can show each message beside its field and an API can return them all
at once. :class:`NotAllowed` means the actor may not do this. Anything else escaping an
action (``TypeError``, ``IntegrityError`` ...) is a bug.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from django.core.exceptions import PermissionDenied


class Problem(NamedTuple):
    """One thing wrong with the input: the field (``""`` for the whole form) and a message."""

    field: str
    message: str


class InvalidInput(Exception):
    """User-facing validation failure carrying every problem found."""

    def __init__(self, problems: Iterable[Problem | tuple[str, str]]) -> None:
        self.problems = [Problem(*p) for p in problems]
        if not self.problems:
            raise ValueError("InvalidInput needs at least one problem")
        super().__init__("; ".join(f"{p.field or 'form'}: {p.message}" for p in self.problems))

    def by_field(self) -> dict[str, list[str]]:
        """Messages grouped by field, for showing beside each field."""
        grouped: dict[str, list[str]] = {}
        for problem in self.problems:
            grouped.setdefault(problem.field, []).append(problem.message)
        return grouped


class NotAllowed(PermissionDenied):
    """The actor may not do this (a 403 in views and the API)."""
