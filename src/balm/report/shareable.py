"""Small-number protection for a report that leaves the service (``--shareable``).

Rule (after the NHS Digital / ONS practice of suppressing small cells): every count of
people from 1 to 4 is shown as ``<5`` in every table, in the JSON, in the words and in the
flow diagram; a percentage in the same table row as a suppressed count is not shown (it would
give the count back). Zero is shown: it identifies no one. Counts of sessions, weeks,
cohorts, passages and observations are not counts of people and are kept. Plots of single
people (Jacobson plots) are left out, as are quotes not cleared for sharing
(:mod:`balm.qual.integration`) and the facilitators' free text.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from balm.report.model import Figure, Report, Table

THRESHOLD = 5
SUPPRESSED = "<5"
#: Table columns that hold counts, but not of people.
NOT_PEOPLE = frozenset(
    {"session", "week", "cohorts", "sessions", "passages", "observations", "sources", "value"}
)
#: JSON keys whose whole-number values count people.
PEOPLE_KEYS = frozenset(
    {
        "n", "referred", "assessed", "started", "attended_k", "completed", "followed_up",
        "withdrawn", "withdrawn_before_start", "withdrawn_after_start", "in_scores",
        "with_baseline", "with_post", "returned", "practice_n", "enrolments", "checkins",
        "n_participants", "n_included", "n_total", "n_cases_pre", "n_zero_baseline",
        "per_enrolment_known", "attended_total", "enrolled_total", "cases_present",
    }
)  # fmt: skip
#: JSON keys whose dictionaries hold counts of people as every value.
PEOPLE_DICTS = frozenset({"categories", "reasons"})


def small(value: Any) -> bool:
    """A whole count from 1 to 4 (booleans are not counts)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < THRESHOLD


def count_text(value: int | None, shareable: bool) -> str:
    """A count as the words show it: ``<5`` when suppressed, ``not known`` for None."""
    if value is None:
        return "not known"
    return SUPPRESSED if shareable and small(value) else str(value)


def suppress_table(table: Table) -> Table:
    """Counts of people from 1 to 4 as ``<5``; percentages in such rows not shown."""
    percent = [i for i, c in enumerate(table.columns) if c == "%" or c.endswith("%")]
    rows = []
    for row in table.rows:
        cells = list(row)
        hidden = False
        for i, value in enumerate(cells):
            if i and table.columns[i] not in NOT_PEOPLE and small(value):
                cells[i] = SUPPRESSED
                hidden = True
        if hidden:
            for i in percent:
                cells[i] = None
        rows.append(tuple(cells))
    return replace(table, rows=tuple(rows))


def suppress_json(value: Any, key: str = "") -> Any:
    """The JSON of a report with counts of people from 1 to 4 as ``"<5"`` (tables are
    suppressed in the model already)."""
    if isinstance(value, dict):
        if key in PEOPLE_DICTS:
            return {k: SUPPRESSED if small(v) else suppress_json(v, k) for k, v in value.items()}
        if key == "tables":
            return value
        return {k: suppress_json(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [suppress_json(v, key) for v in value]
    if key in PEOPLE_KEYS and small(value):
        return SUPPRESSED
    return value


def suppress(report: Report) -> Report:
    """The report with every table suppressed and the flow diagram, if drawn, redrawn with
    ``<5`` (a listed figure stays listed)."""
    from balm.report import figures

    tables = tuple(suppress_table(t) for t in report.tables)
    figs = []
    for figure in report.figures:
        if figure.key == "flow" and figure.svg is not None:
            figure = Figure(
                figure.key,
                figures.flow_diagram(report.flow, shareable=True),
                figure.alt,
                figure.table_key,
            )
        figs.append(figure)
    return replace(report, tables=tables, figures=tuple(figs))
