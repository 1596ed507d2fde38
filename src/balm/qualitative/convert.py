"""Rows <-> :class:`balm.qual.Project`: the one bridge between the database and balm.qual.

Exchange files are then read and written by :mod:`balm.qual.refi` alone. Only live rows go
out: a deleted source or code takes its codings with it, and notes and theme members that
point at something deleted are left out (they come back with a restore).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from balm.qual import project as q
from balm.qualitative.models import Case, Code, Coder, Coding, Note, QualProject, Source, Theme


def encode_variables(variables: Any) -> dict[str, dict[str, Any]]:
    """Case variables as JSON: ``{name: {"type": ..., "value": ...}}`` (dates as ISO text)."""
    encoded: dict[str, dict[str, Any]] = {}
    for name, value in dict(variables).items():
        if isinstance(value, bool):
            encoded[name] = {"type": "boolean", "value": value}
        elif isinstance(value, int):
            encoded[name] = {"type": "integer", "value": value}
        elif isinstance(value, float):
            encoded[name] = {"type": "float", "value": value}
        elif isinstance(value, datetime):
            encoded[name] = {"type": "datetime", "value": value.isoformat()}
        elif isinstance(value, date):
            encoded[name] = {"type": "date", "value": value.isoformat()}
        else:
            encoded[name] = {"type": "text", "value": str(value)}
    return encoded


def decode_variables(encoded: dict[str, dict[str, Any]]) -> dict[str, q.VariableValue]:
    decoded: dict[str, q.VariableValue] = {}
    for name, item in encoded.items():
        kind, value = item["type"], item["value"]
        if kind == "datetime":
            decoded[name] = datetime.fromisoformat(value)
        elif kind == "date":
            decoded[name] = date.fromisoformat(value)
        else:
            decoded[name] = value
    return decoded


def turns_to_json(turns: tuple[q.Turn, ...] | list[q.Turn]) -> list[dict[str, Any]]:
    return [
        {
            "start": t.start,
            "end": t.end,
            "speaker": t.speaker,
            "begin_ms": t.begin_ms,
            "end_ms": t.end_ms,
        }
        for t in turns
    ]


def turns_from_json(turns: list[dict[str, Any]]) -> tuple[q.Turn, ...]:
    return tuple(
        q.Turn(t["start"], t["end"], t.get("speaker"), t.get("begin_ms"), t.get("end_ms"))
        for t in turns
    )


def to_project(qp: QualProject) -> q.Project:
    """The live content of ``qp`` as a :class:`balm.qual.Project` (ids are the rows' uids)."""
    coders = {c.pk: str(c.uid) for c in Coder.objects.filter(project=qp)}
    cases = {c.pk: c for c in Case.objects.filter(project=qp)}
    codes = list(Code.objects.filter(project=qp, deleted_at__isnull=True))
    code_uids = {c.pk: str(c.uid) for c in codes}
    sources = list(Source.objects.filter(project=qp, deleted_at__isnull=True).order_by("id"))
    source_uids = {s.pk: str(s.uid) for s in sources}
    codings = [
        c
        for c in Coding.objects.filter(
            source__project=qp, deleted_at__isnull=True, source__deleted_at__isnull=True
        ).order_by("id")
        if c.code_id in code_uids
    ]
    coding_uids = {str(c.uid) for c in codings}
    themes = list(Theme.objects.filter(project=qp).prefetch_related("members"))
    theme_uids = {str(t.uid) for t in themes}
    notes = []
    live_targets = {
        "source": set(source_uids.values()),
        "coding": coding_uids,
        "code": set(code_uids.values()),
        "theme": theme_uids,
    }
    for n in Note.objects.filter(project=qp, deleted_at__isnull=True).order_by("id"):
        if n.target_kind != "project" and str(n.target_uid) not in live_targets[n.target_kind]:
            continue
        if n.source_id is not None and n.source_id not in source_uids:
            continue
        notes.append(n)
    note_uids = {str(n.uid) for n in notes}
    live_members = {"coding": coding_uids, "code": set(code_uids.values()), "note": note_uids}
    theme_by_pk = {t.pk: str(t.uid) for t in themes}
    return q.Project(
        name=qp.name,
        description=qp.description,
        created=qp.created_at.replace(microsecond=0),
        users=[
            q.User(uid, c.name) for c in Coder.objects.filter(project=qp) for uid in [str(c.uid)]
        ],
        codes=[
            q.Code(
                str(c.uid),
                c.name,
                code_uids.get(c.parent_id) if c.parent_id else None,
                c.description,
                c.colour or None,
            )
            for c in codes
        ],
        cases=[
            q.Case(str(c.uid), c.name, decode_variables(c.variables), c.description)
            for c in cases.values()
        ],
        sources=[
            q.Source(
                str(s.uid),
                s.name,
                s.text,
                s.kind,
                str(cases[s.case_id].uid) if s.case_id else None,
                turns_from_json(s.turns),
                s.created_at,
                coders[s.creator_id] if s.creator_id else None,
                s.timepoint or None,
            )
            for s in sources
        ],
        codings=[
            q.Coding(
                str(c.uid),
                source_uids[c.source_id],
                c.start,
                c.end,
                code_uids[c.code_id],
                coders[c.coder_id],
                c.created_at,
                c.origin,
            )
            for c in codings
        ],
        notes=[
            q.Note(
                str(n.uid),
                n.text,
                coders[n.author_id],
                n.kind,
                n.target_kind,
                str(n.target_uid) if n.target_uid else None,
                source_uids[n.source_id] if n.source_id else None,
                n.start,
                n.end,
                n.created_at,
            )
            for n in notes
        ],
        themes=[
            q.Theme(
                str(t.uid),
                t.name,
                t.level,
                theme_by_pk.get(t.parent_id) if t.parent_id else None,
                str(cases[t.case_id].uid) if t.case_id else None,
                t.description,
                tuple(
                    q.ThemeMember(m.kind, str(m.member_uid))
                    for m in t.members.all()
                    if str(m.member_uid) in live_members[m.kind]
                ),
            )
            for t in themes
        ],
    )
