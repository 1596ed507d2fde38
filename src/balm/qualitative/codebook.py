"""Codebook changes beyond adding, renaming, moving and deleting a code (those are in
``actions``): describe and colour a code, merge one code into another, split codings off into a
new code, and undo any of these from its audit event.

Same rules as ``actions``: keyword-only arguments, ``by=``, permission, one transaction, an
audit event. Each event records what undoing it needs (the old values, the codings moved), and
an undo is refused when the code has changed since (undo the later change first), so an undo
never silently overwrites someone's later work.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from balm.accounts.errors import InvalidInput, Problem
from balm.accounts.models import User
from balm.audit.models import AuditEvent, record
from balm.qualitative import actions
from balm.qualitative.models import Code, Coding

UNDOABLE = (
    "qual.code.add",
    "qual.code.rename",
    "qual.code.move",
    "qual.code.describe",
    "qual.code.merge",
    "qual.code.split",
    "qual.code.delete",
)


def _check(by: User | None, code: Code) -> None:
    actions._may_code(by, code.project.site_id)


def describe_code(*, code: Code, description: str, colour: str, by: User | None) -> None:
    """Set a code's description and colour (``#rrggbb`` or blank)."""
    _check(by, code)
    problems = actions._code_problems(code.name, colour, None, code.project)
    if problems:
        raise InvalidInput(problems)
    old = {"description": code.description, "colour": code.colour}
    new = {"description": description.strip(), "colour": colour.lower()}
    if old == new:
        raise InvalidInput([Problem("", "Nothing changed.")])
    with transaction.atomic():
        Code.objects.filter(pk=code.pk).update(**new)
        record(
            "qual.code.describe",
            by=by,
            obj=code,
            site=code.project.site,
            details={"from": old, "to": new},
        )
    code.description, code.colour = new["description"], new["colour"]


def merge_code(*, code: Code, into: Code, by: User | None) -> int:
    """Move every live coding of ``code`` to ``into`` and delete ``code``; returns how many
    codings moved. A code with live sub-codes is refused (move or merge them first)."""
    _check(by, code)
    problems = []
    if into.project_id != code.project_id:
        problems.append(Problem("into", "That code belongs to another project."))
    if into.pk == code.pk:
        problems.append(Problem("into", "Choose another code to merge into."))
    if code.deleted_at is not None or into.deleted_at is not None:
        problems.append(Problem("into", "Both codes must be live (not deleted)."))
    if Code.objects.filter(parent=code, deleted_at__isnull=True).exists():
        problems.append(Problem("into", f"{code.name!r} has sub-codes; move or merge them first."))
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        moved = list(
            Coding.objects.filter(code=code, deleted_at__isnull=True).values_list("pk", flat=True)
        )
        Coding.objects.filter(pk__in=moved).update(code=into)
        Code.objects.filter(pk=code.pk).update(deleted_at=timezone.now(), deleted_by=by)
        record(
            "qual.code.merge",
            by=by,
            obj=code,
            site=code.project.site,
            details={"name": code.name, "into": into.pk, "into_name": into.name, "codings": moved},
        )
    code.refresh_from_db()
    return len(moved)


def split_code(*, code: Code, codings: list[Coding], name: str, by: User | None) -> Code:
    """Make a new code beside ``code`` (same parent, same colour) and move ``codings`` of
    ``code`` to it."""
    _check(by, code)
    problems = []
    if not name.strip():
        problems.append(Problem("name", "Give the new code a name."))
    if not codings:
        problems.append(Problem("codings", "Tick the codings that go to the new code."))
    if any(c.code_id != code.pk or c.deleted_at is not None for c in codings):
        problems.append(
            Problem("codings", "Some ticked codings are not live codings of this code.")
        )
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        new = actions.add_code(
            project=code.project,
            name=name,
            parent=code.parent,
            colour=code.colour,
            description=f"Split from {code.name}.",
            by=by,
        )
        ids = [c.pk for c in codings]
        Coding.objects.filter(pk__in=ids).update(code=new)
        record(
            "qual.code.split",
            by=by,
            obj=code,
            site=code.project.site,
            details={"new": new.pk, "new_name": new.name, "codings": ids},
        )
    return new


def _stale() -> InvalidInput:
    return InvalidInput([Problem("", "The code has changed since; undo the later change first.")])


def undo(*, event: AuditEvent, by: User | None) -> str:
    """Undo one codebook change from its audit event; returns what was done, in words."""
    if event.action not in UNDOABLE or event.object_type != "qualitative.code":
        raise InvalidInput([Problem("", "This change cannot be undone here.")])
    code = Code.objects.select_related("project").get(pk=int(event.object_id))
    _check(by, code)
    if event.details.get("undone_by_event"):
        raise InvalidInput([Problem("", "This change was already undone.")])
    d: dict[str, Any] = event.details
    with transaction.atomic():
        said = _undo(event.action, code, d, by)
        done = record(
            "qual.code.undo",
            by=by,
            obj=code,
            site=code.project.site,
            details={"event": event.pk, "action": event.action},
        )
        event.details = {**d, "undone_by_event": done.pk}
        event.save(update_fields=["details"])
    return said


def _undo(action: str, code: Code, d: dict[str, Any], by: User | None) -> str:
    if action == "qual.code.rename":
        if code.name != d["to"]:
            raise _stale()
        actions.rename_code(code=code, name=d["from"], by=by)
        return f"Renamed back to {d['from']!r}."
    if action == "qual.code.move":
        if code.parent_id != d["to"]:
            raise _stale()
        parent = Code.objects.get(pk=d["from"]) if d["from"] else None
        actions.move_code(code=code, parent=parent, by=by)
        return "Moved back."
    if action == "qual.code.describe":
        if {"description": code.description, "colour": code.colour} != d["to"]:
            raise _stale()
        describe_code(
            code=code, description=d["from"]["description"], colour=d["from"]["colour"], by=by
        )
        return "Description and colour put back."
    if action == "qual.code.delete":
        actions.restore_code(code=code, by=by)
        return f"{code.name!r} restored."
    if action == "qual.code.add":
        actions.delete_code(code=code, by=by)
        return f"{code.name!r} deleted (restore it from the deleted codes)."
    if action == "qual.code.merge":
        if code.deleted_at is None:
            raise _stale()
        Code.objects.filter(pk=code.pk).update(deleted_at=None, deleted_by=None)
        back = Coding.objects.filter(pk__in=d["codings"], code_id=d["into"])
        moved = back.update(code=code)
        return f"{code.name!r} is back with {moved} coding{'s' if moved != 1 else ''}."
    # split
    new = Code.objects.get(pk=d["new"])
    later = Coding.objects.filter(code=new, deleted_at__isnull=True).exclude(pk__in=d["codings"])
    if new.deleted_at is not None or later.exists():
        raise _stale()
    moved = Coding.objects.filter(pk__in=d["codings"], code=new).update(code=code)
    Code.objects.filter(pk=new.pk).update(deleted_at=timezone.now(), deleted_by=by)
    return f"The {moved} coding{'s' if moved != 1 else ''} went back; {new.name!r} is deleted."
