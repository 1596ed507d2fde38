"""Themes, facilitator feedback and the joint displays of numbers and words.

The words come from a :mod:`balm.qual` project (read from a ``.qdpx``), the numbers from the
outcome analyses of the same report. Joint displays follow Guetterman, Fetters & Creswell
(2015), "Integrating quantitative and qualitative results in health science mixed methods
research through joint displays", Annals of Family Medicine 13(6):554-61: statistics by
themes, theme presence by change category, case by case, and discordant cases.

What the project declares (see :mod:`balm.qual.integration`):

* a case is a participant of the scores by its ``enrolment`` or ``participant`` variable,
  else by its name (the pseudonym, as in the scores' ``participant`` column); when a person
  has several enrolments in the scores, the last in sorted order is used;
* a group theme speaks to the outcome columns on its ``Speaks to:`` line; an outcome written
  ``column (worse)`` means the theme voices no change or change for the worse. A theme with
  no line is set beside every outcome that has change categories (presence and statistics
  tables) but is not used to find discordant cases;
* a quote is shown in shareable mode only when a ``cleared for sharing`` coding covers it;
* meta-inferences and their interpretation are case variables, kept with the project.

Discordant: a case voices a theme declared to speak to an outcome for the better while their
category on it is unchanged, deteriorated or harmed, or a theme declared ``(worse)`` while
they recovered or improved; and every case with a meta-inference recorded for the outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from balm.qual import Project, project_frames
from balm.qual.integration import (
    case_participant,
    cleared,
    is_cleared,
    meta_inferences,
    speaks_to,
)
from balm.qual.recurrence import recurrence
from balm.report.inputs import SESSION_TEXT_COLUMNS, ReportOptions
from balm.report.model import (
    CATEGORY_ORDER,
    Behind,
    OutcomeReport,
    QuoteRef,
    Table,
    Theme,
    behind_key,
)

#: Sources written by facilitators (their coded themes go to the feedback section); a
#: focus group without a case is read as the facilitators' too.
FACILITATOR_KINDS = ("session_feedback", "reflection")
BETTER = ("recovered", "improved")
NOT_BETTER = ("unchanged", "deteriorated", "harmed")
WORSE_MARK = "(worse)"


@dataclass
class QualPart:
    """What the qualitative project adds to the report."""

    themes: list[Theme] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    behind: dict[str, Behind] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    joint: dict[str, object] = field(default_factory=dict)
    quotes_left_out: int = 0


@dataclass(frozen=True)
class _Case:
    name: str
    enrolment: str | None


def _match_cases(project: Project, scores: pd.DataFrame, options: ReportOptions) -> list[_Case]:
    ids = scores[options.id].astype("string")
    participants = (
        scores["participant"].astype("string") if "participant" in scores.columns else ids
    )
    with_sources = {s.case for s in project.sources if s.case is not None}
    out = []
    for case in sorted(project.cases, key=lambda c: c.name):
        if case.id not in with_sources:
            continue
        kind, value = case_participant(case)
        column = ids if kind == "enrolment" else participants
        matched = sorted(set(ids[(column == value).fillna(False)].dropna()))
        out.append(_Case(case.name, matched[-1] if matched else None))
    return out


def _declared(description: str) -> dict[str, str]:
    """Outcome column -> "better" or "worse" from a theme's ``Speaks to:`` line."""
    found = {}
    for item in speaks_to(description):
        if item.endswith(WORSE_MARK):
            found[item.removesuffix(WORSE_MARK).strip()] = "worse"
        else:
            found[item] = "better"
    return found


def build_qualitative(
    project: Project,
    scores: pd.DataFrame,
    options: ReportOptions,
    outcomes: Sequence[OutcomeReport],
    *,
    shareable: bool = False,
) -> QualPart:
    """Themes with recurrence and exemplar quotes, facilitator feedback and the four joint
    displays (see the module docstring for every rule)."""
    part = QualPart()
    frames = project_frames(project)
    rec = recurrence(
        frames.sources,
        frames.codes,
        frames.codings,
        frames.themes,
        frames.theme_members,
        frames.notes,
    )
    clear = cleared(project)
    source_name = {s.id: s.name for s in project.sources}

    def shown(source: str, start: int, end: int) -> bool:
        if not shareable or is_cleared(clear, source, start, end):
            return True
        part.quotes_left_out += 1
        return False

    cases = _match_cases(project, scores, options)
    enrolment_of = {c.name: c.enrolment for c in cases}
    for c in cases:
        if c.enrolment is None:
            part.notes.append(
                f"case {c.name!r} of the qualitative project matches no {options.id} or "
                "participant in the scores; its words are shown, its scores are not known"
            )
    long = rec.long
    present: dict[str, set[str]] = {}
    exemplars: dict[tuple[str, str], QuoteRef] = {}
    theme_rows = []
    descriptions = {t.id: t.description for t in project.themes}
    names: dict[str, str] = {}
    for theme_id, rows in long.groupby("theme", sort=False):
        tid = str(theme_id)
        first = rows.iloc[0]
        names[tid] = str(first["theme_name"])
        voiced = rows.loc[rows["present"]]
        present[tid] = {str(c) for c in voiced["case"]}
        quotes: list[QuoteRef] = []
        for _, row in voiced.iterrows():
            if pd.isna(row["exemplar"]):
                continue
            ref = QuoteRef(
                source_name[str(row["exemplar_source"])],
                str(row["case"]),
                int(row["exemplar_start"]),
                int(row["exemplar_end"]),
                str(row["exemplar"]),
            )
            if shown(str(row["exemplar_source"]), ref.start, ref.end):
                exemplars[(tid, ref.case)] = ref
                quotes.append(ref)
        part.themes.append(
            Theme(
                tid,
                names[tid],
                str(first["level"]),
                tuple(sorted(present[tid])),
                tuple(q.text for q in quotes),
                tuple(q.case for q in quotes),
            )
        )
        n_cases = len(rec.cases)
        theme_rows.append(
            (
                names[tid],
                str(first["level"]),
                len(present[tid]),
                n_cases,
                100.0 * len(present[tid]) / n_cases if n_cases else None,
                int(rows["passages"].sum()),
            )
        )
    part.tables.append(
        Table(
            "themes",
            "Group themes: participants who voice each (recurrence across the interviews) and "
            "passages coded under it",
            ("theme", "level", "participants", "of", "%", "passages"),
            tuple(theme_rows),
        )
    )
    if not part.themes:
        part.notes.append("the qualitative project has no group themes (level group or theme)")

    with_categories = [o for o in outcomes if o.categories is not None]
    declared = {tid: _declared(descriptions.get(tid, "")) for tid in names}
    mapping: dict[str, dict[str, str]] = {}
    known = {o.column for o in with_categories}
    for tid, decl in declared.items():
        unknown = sorted(set(decl) - {o.column for o in outcomes})
        if unknown:
            part.notes.append(
                f"theme {names[tid]!r} speaks to {', '.join(unknown)}, which the scores do not "
                "hold: left out of the joint displays"
            )
        mapping[tid] = (
            {c: d for c, d in decl.items() if c in known}
            if decl
            else dict.fromkeys(sorted(known), "")
        )
    if not any(declared.values()) and part.themes:
        part.notes.append(
            "no theme declares the outcomes it speaks to (a 'Speaks to:' line in the theme's "
            "description), so each theme is set beside every outcome and no discordant cases "
            "are found by theme"
        )
    by_column = {o.column: o for o in with_categories}

    def category(case: str, column: str) -> str | None:
        enrolment = enrolment_of.get(case)
        if enrolment is None:
            return None
        return by_column[column].by_person.get(enrolment)

    def quotes_of(tid: str, people: Sequence[str]) -> tuple[QuoteRef, ...]:
        return tuple(exemplars[(tid, c)] for c in people if (tid, c) in exemplars)

    def enrolments(people: Sequence[str]) -> tuple[str, ...]:
        return tuple(sorted(e for c in people if (e := enrolment_of.get(c)) is not None))

    # Statistics by themes.
    stats_rows: list[tuple[object, ...]] = []
    stats_key = "jd_statistics"
    for tid, columns in mapping.items():
        for column in columns:
            o = by_column[column]
            voicing = sorted(present[tid])
            with_cat = [c for c in voicing if category(c, column) is not None]
            improved = [c for c in with_cat if category(c, column) in BETTER]
            counts = o.categories or {}
            better_all = counts.get("recovered", 0) + counts.get("improved", 0)
            at = len(stats_rows)
            stats_rows.append(
                (
                    names[tid],
                    column,
                    o.change_mean,
                    o.change_ci_low,
                    o.change_ci_high,
                    o.n,
                    100.0 * better_all / o.n if o.n else None,
                    len(voicing),
                    len(with_cat),
                    len(improved),
                )
            )
            for col, people in ((7, voicing), (8, with_cat), (9, improved)):
                if people:
                    part.behind[behind_key(stats_key, at, col)] = Behind(
                        enrolments(people), quotes_of(tid, people)
                    )
    part.tables.append(
        Table(
            stats_key,
            "Statistics by themes: each theme beside the scores it speaks to, with the whole "
            "group's mean change (95% CI) and share improving reliably, and the interviewed "
            "participants who voice the theme",
            (
                "theme",
                "score",
                "change (all)",
                "change CI low",
                "change CI high",
                "n (all)",
                "improved reliably (all) %",
                "voicing the theme",
                "voicing, with a category",
                "voicing, improved reliably",
            ),
            tuple(stats_rows),
        )
    )

    # Theme presence by change category.
    presence_key = "jd_presence"
    presence_rows: list[tuple[object, ...]] = []
    interviewed = [c.name for c in cases]
    for column in sorted(known):
        row_index = len(presence_rows)
        cells: list[object] = ["Interviewed participants", column]
        for k, cat in enumerate(CATEGORY_ORDER):
            people = [c for c in interviewed if category(c, column) == cat]
            cells.append(len(people))
            if people:
                part.behind[behind_key(presence_key, row_index, 2 + k)] = Behind(
                    enrolments(people), ()
                )
        presence_rows.append(tuple(cells))
    for tid, columns in mapping.items():
        for column in columns:
            row_index = len(presence_rows)
            cells = [names[tid], column]
            for k, cat in enumerate(CATEGORY_ORDER):
                people = [c for c in sorted(present[tid]) if category(c, column) == cat]
                cells.append(len(people))
                if people:
                    part.behind[behind_key(presence_key, row_index, 2 + k)] = Behind(
                        enrolments(people), quotes_of(tid, people)
                    )
            presence_rows.append(tuple(cells))
    part.tables.append(
        Table(
            presence_key,
            "Theme presence by change category: of the interviewed participants in each "
            "category of a score (first rows), how many voice each theme",
            ("theme", "score", *CATEGORY_ORDER),
            tuple(presence_rows),
        )
    )

    # Case by case.
    case_rows = []
    for c in cases:
        voiced_ids = [tid for tid in names if c.name in present[tid]]
        quote = next(
            (exemplars[(tid, c.name)] for tid in voiced_ids if (tid, c.name) in exemplars), None
        )
        case_rows.append(
            (
                c.name,
                *(category(c.name, column) or "not known" for column in sorted(known)),
                "; ".join(names[tid] for tid in voiced_ids) or "none",
                None if quote is None else quote.text,
            )
        )
    part.tables.append(
        Table(
            "jd_cases",
            "Case by case: each interviewed participant's change category on each score, the "
            "themes in their interview and an exemplar quote",
            ("participant", *sorted(known), "themes", "quote"),
            tuple(case_rows),
        )
    )

    # Discordant cases.
    inferences = meta_inferences(project)
    discordant_rows = []
    for c in cases:
        for column in sorted(known):
            their = category(c.name, column)
            clashing = [
                tid
                for tid, decl in declared.items()
                if c.name in present[tid]
                and their is not None
                and (
                    (decl.get(column) == "better" and their in NOT_BETTER)
                    or (decl.get(column) == "worse" and their in BETTER)
                )
            ]
            recorded = inferences.get((c.name, column)) or inferences.get((c.name, "*"))
            if not clashing and recorded is None:
                continue
            quote = next(
                (exemplars[(tid, c.name)] for tid in clashing if (tid, c.name) in exemplars), None
            )
            discordant_rows.append(
                (
                    c.name,
                    column,
                    their or "not known",
                    "; ".join(names[tid] for tid in clashing) or "none",
                    None if quote is None else quote.text,
                    "not recorded" if recorded is None else recorded.inference,
                    "" if recorded is None else recorded.interpretation,
                )
            )
    part.tables.append(
        Table(
            "jd_discordant",
            "Discordant cases: where a participant's words and scores disagree, with the "
            "researcher's meta-inference (agree, complement, discord, silent) kept with the "
            "qualitative project",
            (
                "participant",
                "score",
                "category",
                "themes",
                "quote",
                "meta-inference",
                "interpretation",
            ),
            tuple(discordant_rows),
        )
    )
    part.joint = {
        "cases": [{"case": c.name, "enrolment": c.enrolment} for c in cases],
        "speaks_to": {names[t]: m for t, m in mapping.items()},
        "declared": any(declared.values()),
        "quotes_left_out": part.quotes_left_out,
    }
    _facilitators(project, part, shown)
    return part


def _facilitators(project: Project, part: QualPart, check: Callable[[str, int, int], bool]) -> None:
    """Codes applied in the facilitators' sources: passages, sources and a quote per code."""
    chosen = {
        s.id: s
        for s in project.sources
        if s.kind in FACILITATOR_KINDS or (s.kind == "focus_group" and s.case is None)
    }
    code_names = {c.id: c.name for c in project.codes}
    by_code: dict[str, list[tuple[str, int, int]]] = {}
    for coding in project.codings:
        if coding.source in chosen:
            by_code.setdefault(coding.code, []).append((coding.source, coding.start, coding.end))
    rows = []
    for code, spans in sorted(by_code.items(), key=lambda kv: (-len(kv[1]), code_names[kv[0]])):
        quote = None
        for source, start, end in sorted(spans, key=lambda s: (s[2] - s[1], s[0], s[1])):
            if end - start <= 300 and check(source, start, end):
                quote = chosen[source].text[start:end]
        rows.append((code_names[code], len(spans), len({s for s, _, _ in spans}), quote))
    part.tables.append(
        Table(
            "feedback_codes",
            "Codes in the facilitators' sources (session feedback, reflections, their focus "
            "group): passages, sources and the longest quote of at most 300 characters",
            ("code", "passages", "sources", "quote"),
            tuple(rows),
        )
    )


def session_feedback(sessions: pd.DataFrame | None, *, shareable: bool) -> Table | None:
    """The sessions file's feedback and reflections, one row per session that has any (None
    without a sessions file, without those columns, or in a shareable report: free text
    cannot be marked as cleared)."""
    if sessions is None or shareable:
        return None
    columns = [c for c in SESSION_TEXT_COLUMNS if c in sessions.columns]
    if not columns:
        return None
    rows = []
    for _, row in sessions.iterrows():
        texts = [
            "" if pd.isna(row[c]) else str(row[c]).strip()
            for c in SESSION_TEXT_COLUMNS
            if c in columns
        ]
        if any(texts):
            rows.append((str(row["cohort"]), int(row["session"]), str(row["title"]), *texts))
    return Table(
        "feedback",
        "Facilitators' feedback and reflections per session, as written in the sessions file",
        ("cohort", "session", "title", *columns),
        tuple(rows),
    )
