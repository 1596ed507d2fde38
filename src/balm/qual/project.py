"""The qualitative project: users, codebook, sources, codings, notes, cases and themes.

Plain dataclasses, no I/O. Every id is a string (a GUID when balm makes it, so that it can
travel in a REFI-QDA file). Offsets count Unicode code points of the source text, which is
NFC with ``\\n`` line endings, fixed once at import (:mod:`balm.qual.textnorm`); a coding is
the half-open span ``text[start:end]``.

Themes form one hierarchy that serves two methods:

- interpretative phenomenological analysis (IPA): experiential ``statement`` (per case)
  -> ``personal`` experiential theme (per case) -> ``group`` experiential theme;
- reflexive thematic analysis: codes -> ``subtheme`` -> ``theme``.

:func:`validate_project` checks the whole project and raises one
:class:`~balm.qual.errors.QualInputError` naming every problem.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Final

from balm.qual.errors import QualInputError

SOURCE_KINDS: Final = (
    "interview",
    "focus_group",
    "feedback",
    "session_feedback",
    "reflection",
    "checkin_note",
    "other",
)
ORIGINS: Final = ("person", "suggestion")
NOTE_KINDS: Final = ("memo", "descriptive", "linguistic", "conceptual")
NOTE_TARGETS: Final = ("source", "coding", "code", "theme", "project")
THEME_LEVELS: Final = ("statement", "personal", "group", "subtheme", "theme")
CASE_LEVELS: Final = ("statement", "personal")
"""Theme levels that belong to one case (IPA statements and personal experiential themes)."""
MEMBER_KINDS: Final = ("coding", "code", "note")
TIMEPOINTS: Final = ("baseline", "mid", "end", "follow_up")
"""The programme's measurement timepoints a source may be tied to (the same values as
``balm.programmes.templates.Timepoint``; a source tied to none has ``None``)."""

VariableValue = str | int | float | bool | date | datetime
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def new_id() -> str:
    """A fresh id: a random GUID, as REFI-QDA wants."""
    return str(uuid.uuid4())


def now() -> datetime:
    """The current time in UTC, to the second (what REFI-QDA files carry)."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Code:
    id: str
    name: str
    parent: str | None = None
    description: str = ""
    color: str | None = None
    """``#rrggbb`` or None."""


@dataclass(frozen=True, slots=True)
class Turn:
    """A speaker turn: the span ``[start, end)`` of a source, who spoke, and when if known."""

    start: int
    end: int
    speaker: str | None = None
    begin_ms: int | None = None
    end_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    name: str
    text: str
    kind: str = "interview"
    case: str | None = None
    """The id of the case (participant) this source belongs to."""
    turns: tuple[Turn, ...] = ()
    created: datetime | None = None
    creator: str | None = None
    """The id of the user who added the source."""
    timepoint: str | None = None
    """One of :data:`TIMEPOINTS` when the text was gathered at that point of the programme."""


@dataclass(frozen=True, slots=True)
class Coding:
    """The code ``code`` applied by ``coder`` (a user id) to ``text[start:end]`` of ``source``."""

    id: str
    source: str
    start: int
    end: int
    code: str
    coder: str
    created: datetime | None = None
    origin: str = "person"
    """``person`` (coded by hand) or ``suggestion`` (proposed by balm, accepted by ``coder``)."""


@dataclass(frozen=True, slots=True)
class Note:
    """A memo or an IPA exploratory note on a source span, a coding, a code, a theme or the
    project; ``source``/``start``/``end`` anchor it to a span when given."""

    id: str
    text: str
    author: str
    kind: str = "memo"
    target_kind: str = "project"
    target: str | None = None
    source: str | None = None
    start: int | None = None
    end: int | None = None
    created: datetime | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """A case (usually a participant, named by pseudonym) and its variables."""

    id: str
    name: str
    variables: Mapping[str, VariableValue] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True, slots=True)
class ThemeMember:
    kind: str
    """``coding``, ``code`` or ``note``."""
    member: str


@dataclass(frozen=True, slots=True)
class Theme:
    id: str
    name: str
    level: str
    parent: str | None = None
    case: str | None = None
    """The id of the case, for IPA statements and personal experiential themes."""
    description: str = ""
    members: tuple[ThemeMember, ...] = ()


@dataclass(slots=True)
class Project:
    """A qualitative project; lists keep the order things were added in."""

    name: str
    users: list[User] = field(default_factory=list)
    codes: list[Code] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    codings: list[Coding] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    themes: list[Theme] = field(default_factory=list)
    created: datetime | None = None
    description: str = ""

    def user_named(self, name: str) -> User | None:
        return next((u for u in self.users if u.name == name), None)

    def case_named(self, name: str) -> Case | None:
        return next((c for c in self.cases if c.name == name), None)

    def codes_named(self, name: str) -> list[Code]:
        return [c for c in self.codes if c.name == name]


def _duplicates(label: str, ids: Iterable[str]) -> list[str]:
    counts = Counter(ids)
    return [f"{label} id {i!r} is used {n} times" for i, n in counts.items() if n > 1]


def _cycles(label: str, parents: Mapping[str, str | None]) -> list[str]:
    problems = []
    for start in parents:
        seen = {start}
        current = parents.get(start)
        while current is not None and current in parents:
            if current in seen:
                problems.append(f"{label} {start!r}: its parents form a loop")
                break
            seen.add(current)
            current = parents[current]
    return problems


def _span_problems(where: str, start: int, end: int, length: int) -> list[str]:
    if not (0 <= start < end <= length):
        return [
            f"{where}: span [{start}, {end}) is not inside the text "
            f"(need 0 <= start < end <= {length})"
        ]
    return []


def project_problems(project: Project) -> list[str]:
    """Every problem with ``project`` (empty when it is sound)."""
    p: list[str] = []
    users = {u.id for u in project.users}
    codes = {c.id: c for c in project.codes}
    sources = {s.id: s for s in project.sources}
    codings = {c.id for c in project.codings}
    notes = {n.id for n in project.notes}
    cases = {c.id for c in project.cases}
    themes = {t.id: t for t in project.themes}

    p += _duplicates("user", (u.id for u in project.users))
    p += [
        f"user name {name!r} is used by {n} users (coders are told apart by name)"
        for name, n in Counter(u.name for u in project.users).items()
        if n > 1
    ]
    p += [f"user {u.id!r} has an empty name" for u in project.users if not u.name.strip()]

    p += _duplicates("code", (c.id for c in project.codes))
    for c in project.codes:
        if not c.name.strip():
            p.append(f"code {c.id!r} has an empty name")
        if c.parent is not None and c.parent not in codes:
            p.append(f"code {c.name!r}: unknown parent code id {c.parent!r}")
        if c.color is not None and not _COLOUR.fullmatch(c.color):
            p.append(f"code {c.name!r}: colour {c.color!r} is not of the form #rrggbb")
    p += _cycles("code", {c.id: c.parent for c in project.codes})

    p += _duplicates("case", (c.id for c in project.cases))
    for case in project.cases:
        if not case.name.strip():
            p.append(f"case {case.id!r} has an empty name")
        for name, value in case.variables.items():
            if not name.strip():
                p.append(f"case {case.name!r}: a variable has an empty name")
            if not isinstance(value, str | int | float | date):
                p.append(
                    f"case {case.name!r}: variable {name!r} is {type(value).__name__}; "
                    "use text, a whole number, a number, true/false, a date or a date-time"
                )
    p += [
        f"case name {name!r} is used by {n} cases"
        for name, n in Counter(c.name for c in project.cases).items()
        if n > 1
    ]

    p += _duplicates("source", (s.id for s in project.sources))
    for s in project.sources:
        where = f"source {s.name!r}"
        if s.kind not in SOURCE_KINDS:
            p.append(f"{where}: kind {s.kind!r} is not one of {', '.join(SOURCE_KINDS)}")
        if s.timepoint is not None and s.timepoint not in TIMEPOINTS:
            p.append(
                f"{where}: timepoint {s.timepoint!r} is not one of {', '.join(TIMEPOINTS)} "
                "(or none)"
            )
        if "\r" in s.text or not unicodedata.is_normalized("NFC", s.text):
            p.append(f"{where}: text is not normalised (NFC with \\n line endings)")
        if s.text.startswith("\ufeff"):
            # A source file's byte-order mark is dropped when it is read back, which would
            # shift every offset by one; import strips it, so a text never starts with one.
            p.append(f"{where}: text starts with a byte-order mark (U+FEFF)")
        if s.case is not None and s.case not in cases:
            p.append(f"{where}: unknown case id {s.case!r}")
        if s.creator is not None and s.creator not in users:
            p.append(f"{where}: unknown user id {s.creator!r}")
        for turn in s.turns:
            p += _span_problems(f"{where}, speaker turn", turn.start, turn.end, len(s.text))

    p += _duplicates("coding", (c.id for c in project.codings))
    for coding in project.codings:
        where = f"coding {coding.id!r}"
        source = sources.get(coding.source)
        if source is None:
            p.append(f"{where}: unknown source id {coding.source!r}")
        else:
            where += f" in {source.name!r}"
            p += _span_problems(where, coding.start, coding.end, len(source.text))
        if coding.code not in codes:
            p.append(f"{where}: unknown code id {coding.code!r}")
        if coding.coder not in users:
            p.append(f"{where}: unknown user id {coding.coder!r}")
        if coding.origin not in ORIGINS:
            p.append(f"{where}: origin {coding.origin!r} is not one of {', '.join(ORIGINS)}")

    targets: dict[str, Mapping[str, object]] = {
        "source": sources,
        "coding": dict.fromkeys(codings),
        "code": codes,
        "theme": themes,
    }
    p += _duplicates("note", (n.id for n in project.notes))
    for note in project.notes:
        where = f"note {note.id!r}"
        if note.kind not in NOTE_KINDS:
            p.append(f"{where}: kind {note.kind!r} is not one of {', '.join(NOTE_KINDS)}")
        if note.author not in users:
            p.append(f"{where}: unknown user id {note.author!r}")
        if note.target_kind not in NOTE_TARGETS:
            p.append(
                f"{where}: target kind {note.target_kind!r} is not one of {', '.join(NOTE_TARGETS)}"
            )
        elif note.target_kind == "project":
            if note.target is not None:
                p.append(f"{where}: a note on the project has no target id")
        elif note.target is None or note.target not in targets[note.target_kind]:
            p.append(f"{where}: unknown {note.target_kind} id {note.target!r}")
        anchored = (note.source, note.start, note.end)
        if any(a is not None for a in anchored):
            if note.source is None or note.start is None or note.end is None:
                p.append(f"{where}: an anchored note needs source, start and end")
            elif note.source not in sources:
                p.append(f"{where}: unknown source id {note.source!r}")
            else:
                length = len(sources[note.source].text)
                p += _span_problems(where, note.start, note.end, length)

    p += _duplicates("theme", (t.id for t in project.themes))
    for theme in project.themes:
        where = f"theme {theme.name!r}"
        if theme.level not in THEME_LEVELS:
            p.append(f"{where}: level {theme.level!r} is not one of {', '.join(THEME_LEVELS)}")
        if theme.parent is not None and theme.parent not in themes:
            p.append(f"{where}: unknown parent theme id {theme.parent!r}")
        if theme.level in CASE_LEVELS and theme.case is None:
            p.append(f"{where}: a {theme.level} theme belongs to one case; none given")
        if theme.level not in CASE_LEVELS and theme.case is not None:
            p.append(f"{where}: a {theme.level} theme spans cases; it takes no case")
        if theme.case is not None and theme.case not in cases:
            p.append(f"{where}: unknown case id {theme.case!r}")
        members = {"coding": codings, "code": set(codes), "note": notes}
        for m in theme.members:
            if m.kind not in MEMBER_KINDS:
                p.append(f"{where}: member kind {m.kind!r} is not one of coding, code, note")
            elif m.member not in members[m.kind]:
                p.append(f"{where}: unknown {m.kind} id {m.member!r}")
    p += _cycles("theme", {t.id: t.parent for t in project.themes})
    return p


def validate_project(project: Project) -> None:
    """Raise :class:`QualInputError` listing every problem of ``project``, if any."""
    problems = project_problems(project)
    if problems:
        raise QualInputError(problems)
