"""Writes to qualitative projects.

Every function: keyword-only arguments, an actor ``by`` (a User; ``None`` is the system, used by
the command line and the demo), permission through ``balm.accounts.permissions``, one
transaction, an audit event. Problems a person can fix raise ``InvalidInput`` with all of them
at once. Deleting a source, code or coding is soft (``deleted_at``/``deleted_by`` and an audit
event) and undone by the matching ``restore_*``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from balm.accounts import permissions
from balm.accounts.errors import InvalidInput, Problem
from balm.accounts.models import Participant, Site, User
from balm.audit.models import record
from balm.programmes.models import Enrolment
from balm.programmes.templates import Timepoint
from balm.qual import project as q
from balm.qual.pseudonymise import NameLists, Replacement
from balm.qual.textnorm import normalise_text, turns_from_labels
from balm.qualitative import convert
from balm.qualitative.models import (
    Case,
    Code,
    Coder,
    Coding,
    Note,
    QualProject,
    Source,
    Theme,
    ThemeMember,
)
from balm.qualitative.pseudonyms import clean_source, known_names, save_map, site_map

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def _may_code(by: User | None, site: Site | int) -> None:
    if by is not None:
        permissions.require(permissions.can_code_qual(by, site))


def _coder_for(project: QualProject, user: User) -> Coder:
    """The project's coder for ``user``, made on first use (named by the user's full name)."""
    found = Coder.objects.filter(project=project, user=user).first()
    if found is not None:
        return found
    name = user.get_full_name() or user.username
    if Coder.objects.filter(project=project, name=name).exists():
        name = f"{name} ({user.username})"
    try:
        with transaction.atomic():  # a savepoint: two first codings at once make one coder
            return Coder.objects.create(project=project, name=name, user=user)
    except IntegrityError:
        found = Coder.objects.filter(project=project, user=user).first()
        if found is None:
            raise
        return found


# --- projects ----------------------------------------------------------------------------


def create_project(*, site: Site, name: str, description: str = "", by: User | None) -> QualProject:
    _may_code(by, site)
    problems = []
    if not name.strip():
        problems.append(Problem("name", "Give the project a name."))
    elif QualProject.objects.filter(site=site, name=name.strip()).exists():
        problems.append(Problem("name", f"{site} already has a project named {name.strip()!r}."))
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        project = QualProject.objects.create(
            site=site, name=name.strip(), description=description, created_by=by
        )
        record("qual.project.create", by=by, obj=project, site=site, details={"name": name})
    return project


# --- sources -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AddedSource:
    source: Source
    replacements: tuple[Replacement, ...]
    """Every replacement made, for a person to review."""


def _case_for(project: QualProject, participant: Participant) -> Case:
    case = Case.objects.filter(project=project, participant=participant).first()
    if case is None:
        case, _ = Case.objects.get_or_create(
            project=project, name=participant.pseudonym, defaults={"participant": participant}
        )
        if case.participant_id is None:  # a case imported before the participant existed
            case.participant = participant
            case.save(update_fields=["participant"])
    return case


def _only_enrolment(participant: Participant) -> Enrolment | None:
    enrolments = list(Enrolment.objects.filter(participant=participant)[:2])
    return enrolments[0] if len(enrolments) == 1 else None


def add_source(
    *,
    project: QualProject,
    name: str,
    text: str,
    kind: str = "interview",
    participant: Participant | None = None,
    enrolment: Enrolment | None = None,
    terms: Iterable[tuple[str, str]] = (),
    turns: Iterable[q.Turn] | None = None,
    timepoint: str = "",
    by: User,
) -> AddedSource:
    """Add a transcript or written text, normalised and pseudonymised before it is stored.

    ``terms`` are extra ``(term, tag)`` pairs (a given name, a place) replaced by ``[tag]``.
    Speaker turns are found from ``Name:`` labels unless ``turns`` (a file reader's, with cue
    times; offsets of the normalised ``text``) are given. ``timepoint`` is the programme
    timepoint the text was gathered at (blank: none). A facilitator may add only session
    feedback and reflections, and sees only their own."""
    permissions.require(permissions.can_add_qual_source(by, project.site_id, kind))
    problems = []
    if not name.strip():
        problems.append(Problem("name", "Give the source a name."))
    if kind not in q.SOURCE_KINDS:
        problems.append(Problem("kind", f"Choose one of: {', '.join(q.SOURCE_KINDS)}."))
    if not text.strip():
        problems.append(Problem("text", "The text is empty."))
    problems += _timepoint_problems(timepoint)
    if participant is not None and participant.site_id != project.site_id:
        problems.append(Problem("participant", "The participant belongs to another site."))
    if enrolment is not None and (
        participant is None or enrolment.participant_id != participant.pk
    ):
        problems.append(Problem("enrolment", "The enrolment is not the participant's."))
    normal = normalise_text(text)
    if turns is not None:
        turns = tuple(turns)
        if normal != text or any(not 0 <= t.start < t.end <= len(normal) for t in turns):
            problems.append(Problem("turns", "The speaker turns do not fit the text."))
    if problems:
        raise InvalidInput(problems)
    site = project.site
    with transaction.atomic():
        mapping = site_map(site)
        before = set(mapping.entries)
        clean = clean_source(
            name.strip(),
            normal,
            turns_from_labels(normal) if turns is None else tuple(turns),
            known_names(site, participant, terms),
            mapping,
        )
        if Source.objects.filter(
            project=project, name=clean.name, deleted_at__isnull=True
        ).exists():
            raise InvalidInput(
                [Problem("name", f"The project already has a source {clean.name!r}.")]
            )
        save_map(site, mapping, before)
        source = Source.objects.create(
            project=project,
            site=site,
            name=clean.name,
            kind=kind,
            timepoint=timepoint,
            case=_case_for(project, participant) if participant is not None else None,
            participant=participant,
            enrolment=enrolment or (_only_enrolment(participant) if participant else None),
            text=clean.result.text,
            turns=convert.turns_to_json(clean.turns),
            creator=_coder_for(project, by),
            created_at=timezone.now().replace(microsecond=0),
            imported_by=by,
        )
        record(
            "qual.source.add",
            by=by,
            obj=source,
            site=site,
            details={
                "kind": kind,
                "timepoint": timepoint,
                "replacements": len(clean.result.replacements),
            },
        )
    return AddedSource(source, clean.result.replacements)


def _timepoint_problems(timepoint: str) -> list[Problem]:
    if timepoint == "" or timepoint in q.TIMEPOINTS:
        return []
    labels = ", ".join(f"{value} ({label})" for value, label in Timepoint.choices)
    return [Problem("timepoint", f"Choose one of: {labels}; or leave it blank.")]


def set_source_timepoint(*, source: Source, timepoint: str, by: User | None) -> None:
    """Tie ``source`` to a programme timepoint (blank: to none), audited."""
    _may_code(by, source.site_id)
    problems = _timepoint_problems(timepoint)
    if source.deleted_at is not None:
        problems.append(Problem("", f"{source.name!r} is deleted; restore it first."))
    if problems:
        raise InvalidInput(problems)
    if source.timepoint == timepoint:
        return
    with transaction.atomic():
        before = source.timepoint
        source.timepoint = timepoint
        source.save(update_fields=["timepoint"])
        record(
            "qual.source.timepoint",
            by=by,
            obj=source,
            site=_site(source.site_id),
            details={"from": before, "to": timepoint},
        )


def _soft_delete(obj: Any, action: str, site: Site | int, by: User | None, **details: Any) -> None:
    obj.deleted_at = timezone.now()
    obj.deleted_by = by
    obj.save(update_fields=["deleted_at", "deleted_by"])
    record(action, by=by, obj=obj, site=_site(site), details=details)


def _site(site: Site | int) -> Site:
    return site if isinstance(site, Site) else Site.objects.get(pk=site)


def delete_source(*, source: Source, by: User | None) -> None:
    """Hide a source and its codings; :func:`restore_source` brings them back."""
    _may_code(by, source.site_id)
    if source.deleted_at is not None:
        raise InvalidInput([Problem("", f"{source.name!r} is already deleted.")])
    with transaction.atomic():
        _soft_delete(source, "qual.source.delete", source.site_id, by, name=source.name)


def restore_source(*, source: Source, by: User | None) -> None:
    _may_code(by, source.site_id)
    problems = []
    if source.deleted_at is None:
        problems.append(Problem("", f"{source.name!r} is not deleted."))
    elif Source.objects.filter(
        project=source.project_id, name=source.name, deleted_at__isnull=True
    ).exists():
        problems.append(Problem("name", f"Another source is now named {source.name!r}."))
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        deleted_at = source.deleted_at
        source.deleted_at = None
        source.deleted_by = None
        source.save(update_fields=["deleted_at", "deleted_by"])
        record(
            "qual.source.restore",
            by=by,
            obj=source,
            site=_site(source.site_id),
            details={"deleted_at": deleted_at},
        )


# --- codes -------------------------------------------------------------------------------


def _code_problems(
    name: str, colour: str, parent: Code | None, project: QualProject
) -> list[Problem]:
    problems = []
    if not name.strip():
        problems.append(Problem("name", "Give the code a name."))
    if colour and not _COLOUR.fullmatch(colour):
        problems.append(Problem("colour", "A colour is written #rrggbb, e.g. #1D4ED8."))
    if parent is not None:
        if parent.project_id != project.pk:
            problems.append(Problem("parent", "The parent code belongs to another project."))
        elif parent.deleted_at is not None:
            problems.append(Problem("parent", f"The parent code {parent.name!r} is deleted."))
    return problems


def add_code(
    *,
    project: QualProject,
    name: str,
    parent: Code | None = None,
    description: str = "",
    colour: str = "",
    by: User | None,
) -> Code:
    _may_code(by, project.site_id)
    problems = _code_problems(name, colour, parent, project)
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        code = Code.objects.create(
            project=project,
            name=name.strip(),
            parent=parent,
            description=description,
            colour=colour,
            position=Code.objects.filter(project=project).count(),
        )
        record(
            "qual.code.add", by=by, obj=code, site=_site(project.site_id), details={"name": name}
        )
    return code


def rename_code(*, code: Code, name: str, by: User | None) -> None:
    _may_code(by, code.project.site_id)
    if not name.strip():
        raise InvalidInput([Problem("name", "Give the code a name.")])
    with transaction.atomic():
        old = code.name
        code.name = name.strip()
        code.save(update_fields=["name"])
        record(
            "qual.code.rename",
            by=by,
            obj=code,
            site=_site(code.project.site_id),
            details={"from": old, "to": code.name},
        )


def _descendants(code: Code) -> list[Code]:
    found, frontier = [], [code]
    while frontier:
        children = list(Code.objects.filter(parent__in=frontier))
        found += children
        frontier = children
    return found


def move_code(*, code: Code, parent: Code | None, by: User | None) -> None:
    """Put ``code`` under ``parent`` (``None``: at the top)."""
    _may_code(by, code.project.site_id)
    problems = _code_problems(code.name, "", parent, code.project)
    if parent is not None and (parent.pk == code.pk or parent in _descendants(code)):
        problems.append(Problem("parent", "A code cannot go under itself or its own sub-codes."))
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        old = code.parent_id
        code.parent = parent
        code.save(update_fields=["parent"])
        record(
            "qual.code.move",
            by=by,
            obj=code,
            site=_site(code.project.site_id),
            details={"from": old, "to": parent.pk if parent else None},
        )


def delete_code(*, code: Code, by: User | None) -> int:
    """Hide a code with its live sub-codes (and so their codings); returns how many codes.

    They share one ``deleted_at``, so :func:`restore_code` brings back exactly that branch."""
    _may_code(by, code.project.site_id)
    if code.deleted_at is not None:
        raise InvalidInput([Problem("", f"The code {code.name!r} is already deleted.")])
    branch = [code, *(c for c in _descendants(code) if c.deleted_at is None)]
    when = timezone.now()
    with transaction.atomic():
        Code.objects.filter(pk__in=[c.pk for c in branch]).update(deleted_at=when, deleted_by=by)
        codings = Coding.objects.filter(code__in=branch, deleted_at__isnull=True).count()
        record(
            "qual.code.delete",
            by=by,
            obj=code,
            site=_site(code.project.site_id),
            details={"name": code.name, "codes": len(branch), "codings hidden": codings},
        )
    code.refresh_from_db()
    return len(branch)


def restore_code(*, code: Code, by: User | None) -> int:
    """Bring back a deleted code and the sub-codes deleted with it; returns how many."""
    _may_code(by, code.project.site_id)
    problems = []
    if code.deleted_at is None:
        problems.append(Problem("", f"The code {code.name!r} is not deleted."))
    elif code.parent is not None and code.parent.deleted_at is not None:
        problems.append(Problem("parent", f"Restore its parent {code.parent.name!r} first."))
    if problems:
        raise InvalidInput(problems)
    branch = [code, *(c for c in _descendants(code) if c.deleted_at == code.deleted_at)]
    with transaction.atomic():
        Code.objects.filter(pk__in=[c.pk for c in branch]).update(deleted_at=None, deleted_by=None)
        record(
            "qual.code.restore",
            by=by,
            obj=code,
            site=_site(code.project.site_id),
            details={"name": code.name, "codes": len(branch)},
        )
    code.refresh_from_db()
    return len(branch)


# --- codings -----------------------------------------------------------------------------


def add_coding(
    *,
    source: Source,
    start: int,
    end: int,
    code: Code,
    origin: str = "person",
    by: User,
) -> Coding:
    """Code ``source.text[start:end]``; a ``suggestion`` is recorded as accepted by ``by``."""
    _may_code(by, source.site_id)
    problems = []
    if not (0 <= start < end <= len(source.text)):
        problems.append(
            Problem(
                "start",
                f"The passage [{start}, {end}) is not inside the text "
                f"(need 0 <= start < end <= {len(source.text)}).",
            )
        )
    if code.project_id != source.project_id:
        problems.append(Problem("code", "The code belongs to another project."))
    if code.deleted_at is not None:
        problems.append(Problem("code", f"The code {code.name!r} is deleted."))
    if source.deleted_at is not None:
        problems.append(Problem("source", f"The source {source.name!r} is deleted."))
    if origin not in q.ORIGINS:
        problems.append(Problem("origin", f"Choose one of: {', '.join(q.ORIGINS)}."))
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        coding = Coding.objects.create(
            source=source,
            start=start,
            end=end,
            code=code,
            coder=_coder_for(source.project, by),
            origin=origin,
            accepted_by=by if origin == "suggestion" else None,
            created_at=timezone.now().replace(microsecond=0),
        )
        record(
            "qual.coding.add",
            by=by,
            obj=coding,
            site=_site(source.site_id),
            details={"source": source.pk, "code": code.pk, "start": start, "end": end},
        )
    return coding


def _span_problem(start: int, end: int, text: str) -> Problem | None:
    if 0 <= start < end <= len(text):
        return None
    return Problem(
        "start",
        f"The passage [{start}, {end}) is not inside the text "
        f"(need 0 <= start < end <= {len(text)}).",
    )


def resize_coding(
    *, coding: Coding, start: int, end: int, expected: tuple[int, int] | None = None, by: User
) -> Coding:
    """Move the ends of a coding. With ``expected`` (the span the person saw), a coding someone
    else changed or removed meanwhile is refused rather than overwritten."""
    _may_code(by, coding.source.site_id)
    with transaction.atomic():
        current = Coding.objects.select_for_update().select_related("source").get(pk=coding.pk)
        problems = []
        if current.deleted_at is not None:
            problems.append(Problem("", "This coding was removed meanwhile; nothing changed."))
        elif expected is not None and (current.start, current.end) != tuple(expected):
            problems.append(
                Problem(
                    "",
                    f"Someone changed this coding meanwhile (it is now [{current.start}, "
                    f"{current.end})); look again before changing it.",
                )
            )
        span = _span_problem(start, end, current.source.text)
        if span is not None:
            problems.append(span)
        if problems:
            raise InvalidInput(problems)
        old = (current.start, current.end)
        current.start, current.end = start, end
        current.save(update_fields=["start", "end"])
        record(
            "qual.coding.resize",
            by=by,
            obj=current,
            site=_site(current.source.site_id),
            details={"from": list(old), "to": [start, end]},
        )
    coding.start, coding.end = start, end
    return current


def remove_coding(*, coding: Coding, by: User | None) -> None:
    _may_code(by, coding.source.site_id)
    if coding.deleted_at is not None:
        raise InvalidInput([Problem("", "This coding is already removed.")])
    with transaction.atomic():
        _soft_delete(coding, "qual.coding.remove", coding.source.site_id, by)


def restore_coding(*, coding: Coding, by: User | None) -> None:
    _may_code(by, coding.source.site_id)
    if coding.deleted_at is None:
        raise InvalidInput([Problem("", "This coding is not removed.")])
    with transaction.atomic():
        coding.deleted_at = None
        coding.deleted_by = None
        coding.save(update_fields=["deleted_at", "deleted_by"])
        record("qual.coding.restore", by=by, obj=coding, site=_site(coding.source.site_id))


# --- notes and themes --------------------------------------------------------------------

_TARGETS: dict[str, Any] = {"source": Source, "coding": Coding, "code": Code, "theme": Theme}


def _in_project(model: Any, uid: Any, project: QualProject) -> bool:
    if model is Coding:
        return Coding.objects.filter(uid=uid, source__project=project).exists()
    return bool(model.objects.filter(uid=uid, project=project).exists())


def add_note(
    *,
    project: QualProject,
    text: str,
    kind: str = "memo",
    target_kind: str = "project",
    target_uid: uuid.UUID | None = None,
    source: Source | None = None,
    start: int | None = None,
    end: int | None = None,
    by: User,
) -> Note:
    """A memo or exploratory note on the project, or on a source, coding, code or theme;
    anchored to ``source.text[start:end]`` when those are given."""
    _may_code(by, project.site_id)
    problems = []
    if not text.strip():
        problems.append(Problem("text", "The note is empty."))
    if kind not in q.NOTE_KINDS:
        problems.append(Problem("kind", f"Choose one of: {', '.join(q.NOTE_KINDS)}."))
    if target_kind not in q.NOTE_TARGETS:
        problems.append(Problem("target_kind", f"Choose one of: {', '.join(q.NOTE_TARGETS)}."))
    elif target_kind == "project":
        if target_uid is not None:
            problems.append(Problem("target", "A note on the project has no target."))
    elif target_uid is None or not _in_project(_TARGETS[target_kind], target_uid, project):
        problems.append(Problem("target", f"No such {target_kind} in this project."))
    anchor = (source, start, end)
    if any(a is not None for a in anchor):
        if source is None or start is None or end is None:
            problems.append(Problem("start", "An anchored note needs a source, start and end."))
        elif source.project_id != project.pk:
            problems.append(Problem("source", "The source belongs to another project."))
        elif not (0 <= start < end <= len(source.text)):
            problems.append(
                Problem(
                    "start",
                    f"The passage [{start}, {end}) is not inside the text "
                    f"(need 0 <= start < end <= {len(source.text)}).",
                )
            )
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        note = Note.objects.create(
            project=project,
            author=_coder_for(project, by),
            kind=kind,
            text=text,
            target_kind=target_kind,
            target_uid=target_uid,
            source=source,
            start=start,
            end=end,
            created_at=timezone.now().replace(microsecond=0),
        )
        record(
            "qual.note.add", by=by, obj=note, site=_site(project.site_id), details={"kind": kind}
        )
    return note


def delete_note(*, note: Note, by: User | None) -> None:
    _may_code(by, note.project.site_id)
    if note.deleted_at is not None:
        raise InvalidInput([Problem("", "This note is already deleted.")])
    with transaction.atomic():
        _soft_delete(note, "qual.note.delete", note.project.site_id, by, kind=note.kind)


def restore_note(*, note: Note, by: User | None) -> None:
    _may_code(by, note.project.site_id)
    if note.deleted_at is None:
        raise InvalidInput([Problem("", "This note is not deleted.")])
    with transaction.atomic():
        note.deleted_at = None
        note.deleted_by = None
        note.save(update_fields=["deleted_at", "deleted_by"])
        record("qual.note.restore", by=by, obj=note, site=_site(note.project.site_id))


def _theme_problems(
    level: str, parent: Theme | None, case: Case | None, project: QualProject
) -> list[Problem]:
    problems = []
    if level not in q.THEME_LEVELS:
        problems.append(Problem("level", f"Choose one of: {', '.join(q.THEME_LEVELS)}."))
    if level in q.CASE_LEVELS and case is None:
        problems.append(Problem("case", f"A {level} theme belongs to one case; choose it."))
    if level not in q.CASE_LEVELS and case is not None:
        problems.append(Problem("case", f"A {level} theme spans cases; it takes no case."))
    if case is not None and case.project_id != project.pk:
        problems.append(Problem("case", "The case belongs to another project."))
    if parent is not None and parent.project_id != project.pk:
        problems.append(Problem("parent", "The parent theme belongs to another project."))
    return problems


def create_theme(
    *,
    project: QualProject,
    name: str,
    level: str,
    parent: Theme | None = None,
    case: Case | None = None,
    description: str = "",
    by: User | None,
) -> Theme:
    _may_code(by, project.site_id)
    problems = _theme_problems(level, parent, case, project)
    if not name.strip():
        problems.insert(0, Problem("name", "Give the theme a name."))
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        theme = Theme.objects.create(
            project=project,
            name=name.strip(),
            level=level,
            parent=parent,
            case=case,
            description=description,
            position=Theme.objects.filter(project=project).count(),
        )
        record("qual.theme.create", by=by, obj=theme, site=_site(project.site_id))
    return theme


def move_theme(*, theme: Theme, parent: Theme | None, by: User | None) -> None:
    _may_code(by, theme.project.site_id)
    problems = _theme_problems(theme.level, parent, theme.case, theme.project)
    ancestor = parent
    while ancestor is not None:
        if ancestor.pk == theme.pk:
            problems.append(Problem("parent", "A theme cannot go under itself or its children."))
            break
        ancestor = ancestor.parent
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        theme.parent = parent
        theme.save(update_fields=["parent"])
        record(
            "qual.theme.move",
            by=by,
            obj=theme,
            site=_site(theme.project.site_id),
            details={"to": parent.pk if parent else None},
        )


def add_theme_member(*, theme: Theme, kind: str, member_uid: uuid.UUID, by: User | None) -> None:
    """Gather a coding, code or note (by uid) under ``theme`` (see :func:`place_on_theme`)."""
    place_on_theme(theme=theme, kind=kind, member_uid=member_uid, by=by)


# --- theme board and agreed layer ------------------------------------------------------

_MEMBER_MODELS: dict[str, Any] = {"coding": Coding, "code": Code, "note": Note}


def _member_case(kind: str, member_uid: uuid.UUID) -> int | None:
    """The case of the source a coding or anchored note lies in (None for codes, notes on
    no span, and sources of no case)."""
    if kind == "coding":
        return Coding.objects.filter(uid=member_uid).values_list("source__case", flat=True).first()
    if kind == "note":
        return Note.objects.filter(uid=member_uid).values_list("source__case", flat=True).first()
    return None


def place_on_theme(
    *,
    theme: Theme,
    kind: str,
    member_uid: uuid.UUID,
    from_theme: Theme | None = None,
    by: User | None,
) -> None:
    """Put a coding, code or note under ``theme``, taking it off ``from_theme`` when given
    (a move on the theme board). A passage goes only into a theme of its own case."""
    _may_code(by, theme.project.site_id)
    problems = []
    if kind not in _MEMBER_MODELS:
        raise InvalidInput([Problem("kind", "Choose coding, code or note.")])
    if not _in_project(_MEMBER_MODELS[kind], member_uid, theme.project):
        problems.append(Problem("member", f"No such {kind} in this project."))
    elif ThemeMember.objects.filter(theme=theme, kind=kind, member_uid=member_uid).exists():
        problems.append(Problem("member", f"This {kind} is already in {theme.name!r}."))
    elif theme.case_id is not None:
        case = _member_case(kind, member_uid)
        if case is not None and case != theme.case_id:
            problems.append(
                Problem("theme", f"{theme.name!r} belongs to another participant's analysis.")
            )
    if (
        from_theme is not None
        and not ThemeMember.objects.filter(
            theme=from_theme, kind=kind, member_uid=member_uid
        ).exists()
    ):
        problems.append(Problem("from", f"This {kind} is not in {from_theme.name!r}."))
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        if from_theme is not None:
            ThemeMember.objects.filter(theme=from_theme, kind=kind, member_uid=member_uid).delete()
        ThemeMember.objects.create(theme=theme, kind=kind, member_uid=member_uid)
        record(
            "qual.theme.add_member" if from_theme is None else "qual.theme.place",
            by=by,
            obj=theme,
            site=_site(theme.project.site_id),
            details={
                "kind": kind,
                "member": str(member_uid),
                "from": from_theme.pk if from_theme is not None else None,
            },
        )


def remove_theme_member(*, theme: Theme, kind: str, member_uid: uuid.UUID, by: User | None) -> None:
    """Take a coding, code or note off ``theme`` (the item itself stays)."""
    _may_code(by, theme.project.site_id)
    with transaction.atomic():
        deleted, _ = ThemeMember.objects.filter(
            theme=theme, kind=kind, member_uid=member_uid
        ).delete()
        if not deleted:
            raise InvalidInput([Problem("member", f"This {kind} is not in {theme.name!r}.")])
        record(
            "qual.theme.remove_member",
            by=by,
            obj=theme,
            site=_site(theme.project.site_id),
            details={"kind": kind, "member": str(member_uid)},
        )


def theme_from_suggestion(
    *,
    project: QualProject,
    name: str,
    level: str,
    codings: Iterable[uuid.UUID],
    case: Case | None = None,
    by: User,
) -> Theme:
    """Accept a suggested grouping: a new theme holding the chosen codings, one transaction."""
    _may_code(by, project.site_id)
    chosen = list(dict.fromkeys(codings))
    problems = _theme_problems(level, None, case, project)
    if not name.strip():
        problems.insert(0, Problem("name", "Give the theme a name."))
    if not chosen:
        problems.append(Problem("members", "Choose at least one passage."))
    found = set(
        Coding.objects.filter(
            uid__in=chosen, source__project=project, deleted_at__isnull=True
        ).values_list("uid", flat=True)
    )
    missing = [u for u in chosen if u not in found]
    if missing:
        problems.append(Problem("members", f"{len(missing)} passage(s) are not in this project."))
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        theme = create_theme(project=project, name=name, level=level, case=case, by=by)
        ThemeMember.objects.bulk_create(
            ThemeMember(theme=theme, kind="coding", member_uid=u) for u in chosen
        )
        record(
            "qual.theme.accept_suggestion",
            by=by,
            obj=theme,
            site=_site(project.site_id),
            details={"codings": len(chosen), "level": level},
        )
    return theme


AGREED_CODER = "Agreed"
"""The coder whose codings are the agreed layer: made by settling disagreements."""


def agreed_coder(project: QualProject) -> Coder:
    """The project's agreed layer (a coder with no user), made on first use."""
    coder, _ = Coder.objects.get_or_create(project=project, name=AGREED_CODER)
    return coder


def settle_disagreement(
    *,
    source: Source,
    code: Code,
    start: int,
    end: int,
    spans: Iterable[tuple[int, int]],
    choice: str = "",
    by: User,
) -> list[Coding]:
    """Settle one disagreement about ``code`` in ``source.text[start:end]``: the agreed layer
    takes ``spans`` (one coder's version, or none: the passage stays uncoded), replacing what
    it held of that code in the run. ``choice`` names whose version it was ("" for neither).
    Audited with the decision, so the run shows as settled."""
    _may_code(by, source.site_id)
    chosen = sorted(set(spans))
    problems = []
    if not (0 <= start < end <= len(source.text)):
        problems.append(Problem("start", "The passage is not inside the text."))
    if code.project_id != source.project_id:
        problems.append(Problem("code", "The code belongs to another project."))
    if code.deleted_at is not None or source.deleted_at is not None:
        problems.append(Problem("code", "The code or the source is deleted."))
    bad = [(a, b) for a, b in chosen if not (start <= a < b <= end)]
    if bad:
        problems.append(Problem("spans", f"{len(bad)} span(s) lie outside the passage."))
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        agreed = agreed_coder(source.project)
        now = timezone.now()
        replaced = Coding.objects.filter(
            source=source,
            code=code,
            coder=agreed,
            deleted_at__isnull=True,
            start__lt=end,
            end__gt=start,
        ).update(deleted_at=now, deleted_by=by)
        made = [
            Coding.objects.create(
                source=source,
                start=a,
                end=b,
                code=code,
                coder=agreed,
                created_at=now.replace(microsecond=0),
            )
            for a, b in chosen
        ]
        record(
            "qual.agreement.settle",
            by=by,
            obj=source.project,
            site=_site(source.site_id),
            details={
                "source": str(source.uid),
                "code": str(code.uid),
                "start": start,
                "end": end,
                "spans": [list(s) for s in chosen],
                "choice": choice,
                "replaced": replaced,
            },
        )
    return made


def record_recurrence_export(*, project: QualProject, fmt: str, by: User) -> None:
    """Audit a download of the recurrence table and its quotes (they carry passages)."""
    _may_code(by, project.site_id)
    record(
        "qual.recurrence.export",
        by=by,
        obj=project,
        site=_site(project.site_id),
        details={"format": fmt},
    )


def bring_session_notes(*, project: QualProject, cohort: Any, by: User) -> list[Source]:
    """Each session's facilitator feedback and reflections of ``cohort`` as sources of
    ``project`` (kinds ``session_feedback`` and ``reflection``, pseudonymised like any text),
    one transaction. A session's note already brought in (same name) is left as it is; returns
    the sources made."""
    permissions.require(permissions.can_bring_session_notes(by, cohort))
    if cohort.site_id != project.site_id:
        raise InvalidInput([Problem("cohort", "The cohort belongs to another site.")])
    made: list[Source] = []
    with transaction.atomic():
        for session in cohort.sessions.order_by("number"):
            for kind, text, label in (
                ("session_feedback", session.facilitator_feedback, "feedback"),
                ("reflection", session.reflections, "reflections"),
            ):
                name = f"{cohort.name}, session {session.number}: {label}"
                if (
                    not text.strip()
                    or Source.objects.filter(
                        project=project, name=name, deleted_at__isnull=True
                    ).exists()
                ):
                    continue
                made.append(
                    add_source(project=project, name=name, text=text, kind=kind, by=by).source
                )
        record(
            "qual.session_notes.bring",
            by=by,
            obj=project,
            site=_site(project.site_id),
            details={"cohort": cohort.pk, "sources": len(made)},
        )
    return made


# --- end-of-programme feedback -----------------------------------------------------------

FEEDBACK_QUESTIONS = (
    ("helped", "What helped you most in the programme?"),
    ("hard", "What was hard?"),
    ("change", "What would you change?"),
)
FEEDBACK_MAX = 4000
"""Characters an answer may hold."""


def feedback_open(enrolment: Enrolment, today: Any) -> bool:
    """The end-of-programme questions are open from the week of the cohort's last session
    (six days before its date) for a participant who started or completed the programme."""
    if enrolment.status not in ("started", "completed"):
        return False
    last = enrolment.cohort.sessions.exclude(date=None).order_by("-number").first()
    return last is not None and today >= last.date - timedelta(days=6)


def submit_programme_feedback(
    *, enrolment: Enrolment, answers: dict[str, str], by: Participant | User
) -> Any:
    """Keep a participant's answers to the end-of-programme questions (once), audited."""
    from balm.qualitative.models import ProgrammeFeedback

    actor_participant = by if isinstance(by, Participant) else permissions.participant_of(by)
    permissions.require(
        actor_participant is not None and actor_participant.pk == enrolment.participant_id
    )
    problems = [
        Problem(key, f"Please keep this to {FEEDBACK_MAX} characters (it has {len(text)}).")
        for key, _q in FEEDBACK_QUESTIONS
        if len(text := answers.get(key, "")) > FEEDBACK_MAX
    ]
    if not any(answers.get(key, "").strip() for key, _q in FEEDBACK_QUESTIONS):
        problems.append(Problem("", "Write an answer to at least one question."))
    if not feedback_open(enrolment, timezone.localdate()):
        problems.append(Problem("", "These questions open in the last week of your group."))
    if ProgrammeFeedback.objects.filter(enrolment=enrolment).exists():
        problems.append(Problem("", "You have already sent your answers. Thank you."))
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        feedback = ProgrammeFeedback.objects.create(
            enrolment=enrolment,
            **{key: answers.get(key, "").strip() for key, _q in FEEDBACK_QUESTIONS},
        )
        record(
            "qual.programme_feedback.submit",
            by=by,
            obj=feedback,
            site=enrolment.cohort.site,
            details={"answered": [k for k, _q in FEEDBACK_QUESTIONS if answers.get(k, "").strip()]},
        )
    return feedback


def bring_programme_feedback(*, project: QualProject, cohort: Any, by: User) -> list[Source]:
    """The cohort's end-of-programme answers not yet brought in, each as a ``feedback``
    source of its participant at timepoint ``end`` (pseudonymised on the way in), one
    transaction, audited."""
    from balm.qualitative.models import ProgrammeFeedback

    _may_code(by, project.site_id)
    if cohort.site_id != project.site_id:
        raise InvalidInput([Problem("cohort", "The cohort belongs to another site.")])
    made: list[Source] = []
    with transaction.atomic():
        waiting = ProgrammeFeedback.objects.filter(
            enrolment__cohort=cohort, source__isnull=True
        ).select_related("enrolment__participant")
        for feedback in waiting:
            participant = feedback.enrolment.participant
            text = "\n\n".join(
                f"{question}\n{getattr(feedback, key)}"
                for key, question in FEEDBACK_QUESTIONS
                if getattr(feedback, key)
            )
            feedback.source = add_source(
                project=project,
                name=f"{participant.pseudonym}, end-of-programme feedback ({cohort.name})",
                text=text,
                kind="feedback",
                participant=participant,
                enrolment=feedback.enrolment,
                timepoint=Timepoint.END,
                by=by,
            ).source
            feedback.save(update_fields=["source"])
            made.append(feedback.source)
        record(
            "qual.programme_feedback.bring",
            by=by,
            obj=project,
            site=_site(project.site_id),
            details={"cohort": cohort.pk, "sources": len(made)},
        )
    return made


# --- exchange ----------------------------------------------------------------------------


@dataclass
class ImportResult:
    project: QualProject
    matched_cases: dict[str, int] = field(default_factory=dict)
    """Case name -> participant id."""
    unmatched_cases: list[str] = field(default_factory=list)
    """Cases no participant of the site has as pseudonym (kept, linked to no one)."""
    replacements: dict[str, tuple[Replacement, ...]] = field(default_factory=dict)
    """Source name (as stored) -> the replacements made in it."""
    coders: dict[str, int | None] = field(default_factory=dict)
    """Coder name -> the balm user it was matched to (None: known only by name)."""


def export_project(*, project: QualProject, by: User | None) -> q.Project:
    """The live content of ``project`` as a :class:`balm.qual.Project`, for
    :func:`balm.qual.refi.write_qdpx`; the export is audited. Pseudonyms never leave."""
    _may_code(by, project.site_id)
    out = convert.to_project(project)
    record(
        "qual.project.export",
        by=by,
        obj=project,
        site=_site(project.site_id),
        details={"sources": len(out.sources), "codings": len(out.codings)},
    )
    return out


def import_project(
    *,
    site: Site,
    project: q.Project,
    name: str | None = None,
    terms: Iterable[tuple[str, str]] = (),
    extra_names: NameLists | None = None,
    by: User | None,
) -> ImportResult:
    """Store ``project`` (read by :func:`balm.qual.refi.read_qdpx` or built by balm) as a new
    project of ``site``, all or nothing.

    Cases are matched to participants of the site by pseudonym (the case name); unmatched
    cases are kept and listed. Coders are matched to the site's staff by full name or user
    name. Every source's text, name and speakers are pseudonymised on the way in (the names
    balm knows, plus ``terms`` and the others, staff and terms of ``extra_names``), and
    codings, notes and turns move with the replacements. ``extra_names`` names no participant
    (which case would they be?): list such names as others."""
    from balm.qualitative.importing import store_project

    _may_code(by, site)
    problems = [Problem("project", p) for p in q.project_problems(project)]
    title = (name or project.name).strip()
    if not title:
        problems.append(Problem("name", "Give the project a name."))
    elif QualProject.objects.filter(site=site, name=title).exists():
        problems.append(Problem("name", f"{site} already has a project named {title!r}."))
    if extra_names is not None and extra_names.participant:
        problems.append(
            Problem("names", "A name list for a whole project names no participant; use other:.")
        )
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        result = store_project(
            site=site, project=project, name=title, terms=tuple(terms), extra=extra_names, by=by
        )
        record(
            "qual.project.import",
            by=by,
            obj=result.project,
            site=site,
            details={
                "sources": len(project.sources),
                "codings": len(project.codings),
                "unmatched cases": result.unmatched_cases,
                "replacements": sum(len(r) for r in result.replacements.values()),
            },
        )
    return result


def note_to_statement(*, note: Note, name: str = "", by: User) -> Theme:
    """Turn an exploratory note on a participant's source into an experiential statement (IPA):
    a ``statement`` theme of the source's case holding the note, named by ``name`` (the note's
    text by default)."""
    _may_code(by, note.project.site_id)
    problems = []
    if note.deleted_at is not None:
        problems.append(Problem("", "The note is deleted."))
    case = note.source.case if note.source is not None else None
    if case is None:
        problems.append(
            Problem("", "Only a note on a participant's source can become their statement.")
        )
    elif Theme.objects.filter(
        project=note.project_id,
        level="statement",
        members__kind="note",
        members__member_uid=note.uid,
    ).exists():
        problems.append(Problem("", "This note is already an experiential statement."))
    title = " ".join((name or note.text).split())[:300]
    if not title:
        problems.append(Problem("name", "Give the statement a name."))
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        theme = create_theme(project=note.project, name=title, level="statement", case=case, by=by)
        add_theme_member(theme=theme, kind="note", member_uid=note.uid, by=by)
    return theme
