"""The theme board of a project, read in a fixed number of queries, and its recurrence table.

Two methods share the board. IPA: experiential statements (anchored notes, and statement
themes) are grouped into personal experiential themes of one participant (case), and those
into group experiential themes. Reflexive thematic analysis: codes are grouped into subthemes
and themes. Deleted things are left out, as in :func:`balm.qualitative.convert.to_project`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.db.models import CharField
from django.db.models.functions import Cast

from balm.qual import frames
from balm.qual.frames import ProjectFrames
from balm.qual.recurrence import Recurrence, recurrence
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

METHODS = {"ipa": "Interpretative phenomenological analysis", "ta": "Thematic analysis"}
TOP_LEVEL = {"ipa": "group", "ta": "theme"}
SNIPPET = 160


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1].rstrip() + "\u2026"


@dataclass
class Item:
    """Something that can be placed on a theme: ``kind`` coding, code, note or theme."""

    kind: str
    uid: str
    label: str
    detail: str = ""
    case_id: int | None = None
    from_theme: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.uid}"

    @property
    def choice(self) -> str:
        """The value the keyboard form sends: kind, uid and the theme it is in."""
        return f"{self.kind}:{self.uid}:{self.from_theme}"


@dataclass
class Box:
    """A theme with what it holds: its members and the themes under it."""

    theme: Theme
    items: list[Item] = field(default_factory=list)
    children: list[Box] = field(default_factory=list)

    @property
    def uid(self) -> str:
        return str(self.theme.uid)


@dataclass
class CaseColumn:
    case: Case
    loose: list[Item] = field(default_factory=list)
    themes: list[Box] = field(default_factory=list)

    @property
    def choices(self) -> list[tuple[str, str]]:
        """This participant's statements (placed or not), for the keyboard form."""
        items = self.loose + [i for b in self.themes for i in b.items]
        return [(i.choice, i.label) for i in items]

    @property
    def targets(self) -> list[tuple[str, str]]:
        """Where this participant's statements may go: their personal themes."""
        return [(b.uid, b.theme.name) for b in self.themes]


@dataclass
class Board:
    method: str
    top: list[Box]
    """Group themes (IPA) or themes (thematic analysis)."""
    loose_themes: list[Box]
    """Personal themes in no group theme (IPA) or subthemes in no theme."""
    cases: list[CaseColumn]
    loose: list[Item]
    """Codes in no theme (thematic analysis)."""
    themes: dict[str, Theme]

    @property
    def middle(self) -> list[tuple[str, str]]:
        """Every personal theme (IPA) or subtheme, as the keyboard form's choices."""
        level = "personal" if self.method == "ipa" else "subtheme"
        by_pk = self.themes_by_pk
        out = []
        for t in self.themes.values():
            if t.level == level:
                parent = by_pk.get(t.parent_id) if t.parent_id else None
                where = f"{t.case.name}: " if t.case_id and t.case else ""
                out.append((f"theme:{t.uid}:{parent.uid if parent else ''}", f"{where}{t.name}"))
        return out

    @property
    def themes_by_pk(self) -> dict[int, Theme]:
        return {t.pk: t for t in self.themes.values()}

    @property
    def code_choices(self) -> list[tuple[str, str]]:
        """Codes, loose or in a theme or subtheme (thematic analysis), for the keyboard form."""
        boxes = self.top + [c for b in self.top for c in b.children] + self.loose_themes
        items = self.loose + [i for b in boxes for i in b.items if i.kind == "code"]
        return [(i.choice, i.label) for i in items]

    def column(self, case_id: str | None) -> CaseColumn | None:
        """The participant asked for, else the first with statements or themes."""
        return next(
            (c for c in self.cases if str(c.case.pk) == case_id),
            self.cases[0] if self.cases else None,
        )

    @property
    def targets(self) -> dict[str, list[tuple[str, str]]]:
        """Where things may go: ``top`` (themes at the top) and ``codes`` (for thematic
        analysis, any theme or subtheme)."""
        top = [(b.uid, b.theme.name) for b in self.top]
        middle = [(str(t.uid), t.name) for t in self.themes.values() if t.level == "subtheme"]
        return {"top": top, "codes": top + middle}


def build(project: QualProject, method: str) -> Board:
    """The board of ``project`` for ``method`` ("ipa" or "ta")."""
    sources = {
        s["pk"]: s
        for s in Source.objects.filter(project=project, deleted_at__isnull=True).values(
            "pk", "name", "text", "case_id"
        )
    }
    codes = {c.pk: c for c in Code.objects.filter(project=project, deleted_at__isnull=True)}
    themes = list(
        Theme.objects.filter(project=project).select_related("case").prefetch_related("members")
    )
    placed: dict[tuple[str, str], str] = {}
    for theme in themes:
        for m in theme.members.all():
            placed.setdefault((m.kind, str(m.member_uid)), str(theme.uid))
    member_uids = {u for (kind, u) in placed if kind == "coding"}
    codings = {
        str(c.uid): c
        for c in Coding.objects.filter(
            uid__in=member_uids, deleted_at__isnull=True, source__deleted_at__isnull=True
        )
    }
    notes = {
        str(n.uid): n
        for n in Note.objects.filter(
            project=project, deleted_at__isnull=True, source__isnull=False
        ).exclude(kind="memo")
    }

    def coding_item(c: Coding) -> Item | None:
        source = sources.get(c.source_id)
        if source is None or c.code_id not in codes:
            return None
        return Item(
            "coding",
            str(c.uid),
            _snippet(source["text"][c.start : c.end]),
            f"{codes[c.code_id].name} \u00b7 {source['name']}",
            source["case_id"],
        )

    def note_item(n: Note) -> Item | None:
        source = sources.get(n.source_id)  # type: ignore[arg-type]
        if source is None:
            return None
        quote = source["text"][n.start : n.end]
        return Item(
            "note",
            str(n.uid),
            _snippet(n.text),
            f"{n.kind} note on \u201c{_snippet(quote)}\u201d \u00b7 {source['name']}",
            source["case_id"],
        )

    def member_item(kind: str, uid: str) -> Item | None:
        if kind == "coding" and uid in codings:
            return coding_item(codings[uid])
        if kind == "note" and uid in notes:
            return note_item(notes[uid])
        if kind == "code":
            code = next((c for c in codes.values() if str(c.uid) == uid), None)
            if code is not None:
                return Item("code", uid, code.name, code.description)
        return None

    boxes = {str(t.uid): Box(t) for t in themes}
    for theme in themes:
        box = boxes[str(theme.uid)]
        for m in theme.members.all():
            item = member_item(m.kind, str(m.member_uid))
            if item is not None:
                item.from_theme = box.uid
                box.items.append(item)
    by_pk = {t.pk: boxes[str(t.uid)] for t in themes}
    for theme in themes:
        if theme.parent_id is not None and theme.parent_id in by_pk:
            by_pk[theme.parent_id].children.append(boxes[str(theme.uid)])

    top_level = TOP_LEVEL[method]
    middle = "personal" if method == "ipa" else "subtheme"
    top = [boxes[str(t.uid)] for t in themes if t.level == top_level]
    loose_themes = [
        boxes[str(t.uid)]
        for t in themes
        if t.level == middle
        and (t.parent_id is None or by_pk[t.parent_id].theme.level != top_level)
    ]
    columns: list[CaseColumn] = []
    loose: list[Item] = []
    if method == "ipa":
        cases = {c.pk: CaseColumn(c) for c in Case.objects.filter(project=project)}
        for theme in themes:
            if theme.level == "personal" and theme.case_id in cases:
                cases[theme.case_id].themes.append(boxes[str(theme.uid)])
            if theme.level == "statement" and theme.parent_id is None and theme.case_id in cases:
                cases[theme.case_id].loose.append(
                    Item("theme", str(theme.uid), theme.name, "experiential statement")
                )
        for uid, note in notes.items():
            if ("note", uid) in placed:
                continue
            item = note_item(note)
            if item is not None and item.case_id in cases:
                cases[item.case_id].loose.append(item)
        columns = [c for c in cases.values() if c.loose or c.themes]
    else:
        loose = [
            Item("code", str(c.uid), c.name, c.description)
            for c in codes.values()
            if ("code", str(c.uid)) not in placed
        ]
    return Board(method, top, loose_themes, columns, loose, {str(t.uid): t for t in themes})


def _frame(rows: list[tuple[Any, ...]], columns: dict[str, str]) -> pd.DataFrame:
    data = {
        name: pd.Series([row[i] for row in rows], dtype=dtype)
        for i, (name, dtype) in enumerate(columns.items())
    }
    return pd.DataFrame(data, columns=list(columns))


def _text(field: str) -> Cast:
    """A uid column as text from the database: turning thousands of values into ``UUID``
    objects and back to text was a third of the recurrence page's time."""
    return Cast(field, output_field=CharField())


def _dashed(value: str | None) -> str | None:
    """A uid's text as ``str(UUID)`` writes it: SQLite keeps 32 hex digits, PostgreSQL the
    dashed form already (both lower case)."""
    if value is not None and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return value


def frames_of(project: QualProject) -> ProjectFrames:
    """The frames the recurrence reads, straight from the rows (ids are uids; live rows only,
    as :func:`balm.qualitative.convert.to_project` gives them, but without building the whole
    project: the board's table is asked for on every move)."""
    cases = dict(Case.objects.filter(project=project).values_list("pk", "name"))
    coders = dict(Coder.objects.filter(project=project).values_list("pk", "name"))
    sources = list(
        Source.objects.filter(project=project, deleted_at__isnull=True)
        .order_by("id")
        .values_list("pk", "uid", "name", "case_id", "kind", "text")
    )
    source_uid = {pk: str(uid) for pk, uid, *_ in sources}
    codes = list(
        Code.objects.filter(project=project, deleted_at__isnull=True).values_list(
            "pk", "uid", "name", "parent_id", "colour"
        )
    )
    code_uid = {pk: str(uid) for pk, uid, *_ in codes}
    codings = (
        Coding.objects.filter(
            source__project=project,
            deleted_at__isnull=True,
            source__deleted_at__isnull=True,
            code__deleted_at__isnull=True,
        )
        .order_by("id")
        .annotate(uid_text=_text("uid"))
    )
    themes = list(
        Theme.objects.filter(project=project).values_list(
            "pk", "uid", "name", "parent_id", "level", "case_id"
        )
    )
    theme_uid = {pk: str(uid) for pk, uid, *_ in themes}
    notes = (
        Note.objects.filter(
            project=project, deleted_at__isnull=True, source__deleted_at__isnull=True
        )
        .order_by("id")
        .annotate(uid_text=_text("uid"), target_text=_text("target_uid"))
    )
    empty = pd.DataFrame({"source": pd.Series([], dtype="string")})
    return ProjectFrames(
        sources=_frame(
            [(source_uid[pk], n, cases.get(c), k, t) for pk, _u, n, c, k, t in sources],
            frames.SOURCES,
        ),
        segments=_frame([], frames.SEGMENTS),
        codes=_frame(
            [(str(u), n, code_uid.get(p), c or None) for _pk, u, n, p, c in codes], frames.CODES
        ),
        codings=_frame(
            [
                (_dashed(u), source_uid[s], a, b, code_uid[c], coders[k], o)
                for u, s, a, b, c, k, o in codings.values_list(
                    "uid_text", "source_id", "start", "end", "code_id", "coder_id", "origin"
                )
                if c in code_uid
            ],
            frames.CODINGS,
        ),
        themes=_frame(
            [(str(u), n, theme_uid.get(p), lv, cases.get(c)) for _pk, u, n, p, lv, c in themes],
            frames.THEMES,
        ),
        theme_members=_frame(
            [
                (theme_uid[t], k, _dashed(m))
                for t, k, m in ThemeMember.objects.filter(theme__project=project)
                .annotate(member_text=_text("member_uid"))
                .values_list("theme_id", "kind", "member_text")
            ],
            frames.THEME_MEMBERS,
        ),
        notes=_frame(
            [
                (
                    _dashed(u),
                    source_uid.get(s) if s else None,
                    a,
                    b,
                    k,
                    str(au),
                    t,
                    tk,
                    _dashed(tu),
                )
                for u, s, a, b, k, au, t, tk, tu in notes.values_list(
                    "uid_text",
                    "source_id",
                    "start",
                    "end",
                    "kind",
                    "author_id",
                    "text",
                    "target_kind",
                    "target_text",
                )
                if s is None or s in source_uid
            ],
            frames.NOTES,
        ),
        case_variables=empty.rename(columns={"source": "case"}),
    )


def recurrence_of(project: QualProject, method: str, given: ProjectFrames | None = None) -> Any:
    """The recurrence of the board's top themes over the cases with a source, and the frames
    it came from (None when the project has no such theme or no case)."""
    got = given if given is not None else frames_of(project)
    if got.sources["case"].dropna().empty:
        return None, got
    level = TOP_LEVEL[method]
    if not (got.themes["level"] == level).any():
        return None, got
    rec: Recurrence = recurrence(
        got.sources,
        got.codes,
        got.codings,
        got.themes,
        got.theme_members,
        got.notes,
        levels=(level,),
    )
    return rec, got
