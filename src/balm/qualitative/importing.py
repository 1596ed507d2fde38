"""Storing a :class:`balm.qual.Project` as rows of a new project (called by
:func:`balm.qualitative.actions.import_project`, inside its transaction)."""

from __future__ import annotations

import uuid
from typing import Any

from balm.accounts.errors import InvalidInput, Problem
from balm.accounts.models import Membership, Participant, Site, User
from balm.qual import project as q
from balm.qual.pseudonymise import NameLists
from balm.qualitative import convert
from balm.qualitative.actions import ImportResult, _only_enrolment
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
from balm.qualitative.pseudonyms import CleanSource, clean_source, known_names, save_map, site_map

_UID_MODELS: tuple[Any, ...] = (QualProject, Coder, Case, Source, Code, Coding, Note, Theme)


def _uids(project: q.Project) -> dict[str, uuid.UUID]:
    """Each id of ``project`` -> the uid its row gets: the id itself when it is a GUID that no
    row holds yet (so a round trip keeps ids), otherwise a fresh one."""
    ids = [
        *(u.id for u in project.users),
        *(c.id for c in project.cases),
        *(s.id for s in project.sources),
        *(c.id for c in project.codes),
        *(c.id for c in project.codings),
        *(n.id for n in project.notes),
        *(t.id for t in project.themes),
    ]
    wanted: dict[str, uuid.UUID] = {}
    for value in ids:
        try:
            wanted[value] = uuid.UUID(value.strip("{}"))
        except ValueError:
            wanted[value] = uuid.uuid4()
    taken: set[uuid.UUID] = set()
    for model in _UID_MODELS:
        taken |= set(model.objects.filter(uid__in=wanted.values()).values_list("uid", flat=True))
    return {k: (uuid.uuid4() if v in taken else v) for k, v in wanted.items()}


def _staff_by_name(site: Site) -> dict[str, User]:
    found: dict[str, User] = {}
    for m in Membership.objects.filter(site=site).select_related("user").order_by("user_id"):
        for key in (m.user.get_full_name(), m.user.username):
            if key.strip():
                found.setdefault(key.strip(), m.user)
    return found


def store_project(
    *,
    site: Site,
    project: q.Project,
    name: str,
    terms: tuple[tuple[str, str], ...],
    extra: NameLists | None,
    by: User | None,
) -> ImportResult:
    uid = _uids(project)
    qp = QualProject.objects.create(
        site=site, name=name, description=project.description, created_by=by
    )
    result = ImportResult(project=qp)
    mapping = site_map(site)
    before = set(mapping.entries)

    staff = _staff_by_name(site)
    coders: dict[str, Coder] = {}
    linked: set[int] = set()
    for u in project.users:
        person = staff.get(u.name.strip())
        if person is not None and person.pk in linked:
            person = None  # one coder per balm user in a project
        if person is not None:
            linked.add(person.pk)
        coders[u.id] = Coder.objects.create(project=qp, uid=uid[u.id], name=u.name, user=person)
        result.coders[u.name] = person.pk if person else None

    participants = {p.pseudonym: p for p in Participant.objects.filter(site=site)}
    cases: dict[str, Case] = {}
    for c in project.cases:
        participant = participants.get(c.name)
        cases[c.id] = Case.objects.create(
            project=qp,
            uid=uid[c.id],
            name=c.name,
            participant=participant,
            description=c.description,
            variables=convert.encode_variables(c.variables),
        )
        if participant is None:
            result.unmatched_cases.append(c.name)
        else:
            result.matched_cases[c.name] = participant.pk

    codes: dict[str, Code] = {}
    for position, c in enumerate(project.codes):
        codes[c.id] = Code.objects.create(
            project=qp,
            uid=uid[c.id],
            name=c.name,
            description=c.description,
            colour=c.color or "",
            position=position,
        )
    for c in project.codes:
        if c.parent is not None:
            codes[c.id].parent = codes[c.parent]
            codes[c.id].save(update_fields=["parent"])

    sources: dict[str, Source] = {}
    cleaned: dict[str, CleanSource] = {}
    problems = []
    names_seen: set[str] = set()
    for s in project.sources:
        case = cases.get(s.case) if s.case else None
        participant = case.participant if case is not None else None
        clean = clean_source(
            s.name, s.text, s.turns, known_names(site, participant, terms, extra), mapping
        )
        if clean.name in names_seen:
            problems.append(Problem("sources", f"Two sources would both be named {clean.name!r}."))
            continue
        names_seen.add(clean.name)
        cleaned[s.id] = clean
        sources[s.id] = Source.objects.create(
            project=qp,
            site=site,
            uid=uid[s.id],
            name=clean.name,
            kind=s.kind,
            timepoint=s.timepoint or "",
            case=case,
            participant=participant,
            enrolment=_only_enrolment(participant) if participant else None,
            text=clean.result.text,
            turns=convert.turns_to_json(clean.turns),
            creator=coders[s.creator] if s.creator else None,
            created_at=s.created,
            imported_by=by,
        )
        result.replacements[clean.name] = clean.result.replacements
    if problems:
        raise InvalidInput(problems)

    codings = []
    for c in project.codings:
        start, end = cleaned[c.source].span(c.start, c.end)
        codings.append(
            Coding(
                source=sources[c.source],
                uid=uid[c.id],
                start=start,
                end=end,
                code=codes[c.code],
                coder=coders[c.coder],
                origin=c.origin,
                created_at=c.created,
            )
        )
    Coding.objects.bulk_create(codings)

    note_names = known_names(site, None, terms, extra)
    notes = []
    for n in project.notes:
        start, end = n.start, n.end
        if n.source is not None and start is not None and end is not None:
            start, end = cleaned[n.source].span(start, end)
        notes.append(
            Note(
                project=qp,
                uid=uid[n.id],
                author=coders[n.author],
                kind=n.kind,
                text=clean_source("", n.text, (), note_names, mapping).result.text,
                target_kind=n.target_kind,
                target_uid=uid[n.target] if n.target is not None else None,
                source=sources[n.source] if n.source else None,
                start=start,
                end=end,
                created_at=n.created,
            )
        )
    Note.objects.bulk_create(notes)

    themes: dict[str, Theme] = {}
    for position, t in enumerate(project.themes):
        themes[t.id] = Theme.objects.create(
            project=qp,
            uid=uid[t.id],
            name=t.name,
            level=t.level,
            case=cases[t.case] if t.case else None,
            description=t.description,
            position=position,
        )
    for t in project.themes:
        if t.parent is not None:
            themes[t.id].parent = themes[t.parent]
            themes[t.id].save(update_fields=["parent"])
    ThemeMember.objects.bulk_create(
        ThemeMember(theme=themes[t.id], kind=m.kind, member_uid=uid[m.member])
        for t in project.themes
        for m in t.members
    )
    save_map(site, mapping, before)
    return result
