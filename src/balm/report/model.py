"""The evaluation report as plain data: one model, rendered to HTML, PDF, XLSX and JSON.

Every number any renderer shows is held here once, so the formats cannot disagree. Numbers
that could not be computed are ``None`` (never 0, never NaN: JSON has no NaN).

Places kept for work still to come (issue #12):

* ``themes`` and ``joint_display`` take the qualitative project (``balm.qual``: the
  ``themes``/``theme_members`` frames, recurrence across cases and quotes; see
  :class:`Theme`) once it exists; empty until then, and the report says no qualitative
  project was given.
* ``OutcomeReport.clinical_approaches`` takes the NHS Talking Therapies and IMMPACT
  classifications from ``balm.change`` once that package offers them (branch
  ``clinical``); empty until then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The five categories of the combined approach, in reporting order (as balm.change).
CATEGORY_ORDER = ("recovered", "improved", "unchanged", "deteriorated", "harmed")
#: Table columns of a paired change: mean change and Cohen's d_z with their 95% CIs.
CHANGE_COLUMNS = (
    "change",
    "change CI low",
    "change CI high",
    "d_z",
    "d_z CI low",
    "d_z CI high",
)


@dataclass(frozen=True)
class Table:
    """A table as every renderer shows it: caption, column headings, rows of values.

    ``key`` names the sheet in the XLSX appendix and the ``id`` of the HTML table. Cell
    values are numbers, text or ``None`` (shown as a dash).
    """

    key: str
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class Figure:
    """An SVG figure with its text alternative and the key of the table beside it; ``svg``
    is None when the report lists its figures without drawing them."""

    key: str
    svg: str | None
    alt: str
    table_key: str


@dataclass(frozen=True)
class Flow:
    """Participant flow (CONSORT style). ``None`` where the inputs cannot say.

    ``referred``, ``assessed``, ``started``, ``completed``, ``withdrawn``: enrolments that
    ever reached the step (from the enrolments file); ``followed_up``: enrolments with any
    score at the follow-up timepoint (from the scores); ``attended_k``: enrolments that
    attended at least ``k`` sessions.
    """

    referred: int | None
    assessed: int | None
    started: int | None
    attended_k: int | None
    k: int
    sessions_planned: int
    completed: int | None
    followed_up: int | None
    withdrawn: int | None
    withdrawn_before_start: int | None
    withdrawn_after_start: int | None
    reasons: dict[str, int]
    in_scores: int
    with_baseline: int
    with_post: int
    source: str
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Attendance:
    """Sessions delivered and attended (from the sessions file and the enrolments file)."""

    sessions_file: bool
    cohorts: int | None
    sessions: int | None
    attended_total: int | None
    enrolled_total: int | None
    rate: float | None
    per_enrolment_known: int | None
    sessions_attended_mean: float | None
    sessions_attended_median: float | None


@dataclass(frozen=True)
class CheckinWeek:
    week: int
    returned: int
    practice_n: int
    practice_mean: float | None
    practice_median: float | None
    scales: dict[str, float | None]


@dataclass(frozen=True)
class Checkins:
    """Weekly check-ins: how many came back, home-practice minutes, mean ratings."""

    given: bool
    enrolments: int
    checkins: int
    practice_minutes_total: float | None
    practice_minutes_median_per_week: float | None
    by_week: tuple[CheckinWeek, ...]


@dataclass(frozen=True)
class Summary:
    """Mean, SD and n of one score at one timepoint."""

    n: int
    mean: float | None
    sd: float | None


@dataclass(frozen=True)
class Effect:
    """A named effect size with its confidence interval and how the interval was found."""

    name: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    ci_method: str


@dataclass(frozen=True)
class Growth:
    """Slope of the growth model (score ~ time + (time | id), REML) over every observation."""

    time: str
    slope: float | None
    ci_low: float | None
    ci_high: float | None
    n_participants: int
    n_observations: int
    note: str


@dataclass(frozen=True)
class Parameter:
    """A number an analysis used, with its source (as balm.change records it)."""

    name: str
    value: float | str
    source: str


@dataclass(frozen=True)
class OutcomeReport:
    """One outcome column (``<instrument>_<scale>``): descriptives, change and categories."""

    column: str
    instrument: str
    scale: str
    label: str
    better: str
    n: int
    pre: Summary
    post: Summary
    paired_pre: Summary
    paired_post: Summary
    change_mean: float | None
    change_sd: float | None
    change_ci_low: float | None
    change_ci_high: float | None
    d_z: Effect
    g_av: Effect
    growth: Growth | None
    method: str | None
    approach: str | None
    reliability: Parameter | None
    cutoff: Parameter | None
    cutoff_type: str | None
    categories: dict[str, int] | None
    categories_note: str
    parameters: tuple[Parameter, ...]
    jacobson_svg: str | None
    #: Reserved for the NHS Talking Therapies and IMMPACT approaches (branch ``clinical``).
    clinical_approaches: dict[str, Any] = field(default_factory=dict)
    #: Each analysed enrolment's change category (for the joint displays; not in the JSON).
    by_person: dict[str, str] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Theme:
    """A group theme of the qualitative project: ``balm.qual``'s ``themes`` frame (theme,
    name, level), the cases it recurs in and the exemplar quotes the report shows."""

    theme: str
    name: str
    level: str
    cases: tuple[str, ...]
    quotes: tuple[str, ...]
    #: The case (pseudonym) each quote is from, in the order of ``quotes``.
    quote_cases: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuoteRef:
    """A passage of the qualitative project: ``text[start:end]`` of the source named
    ``source``, in the sources of case ``case`` (the participant's pseudonym)."""

    source: str
    case: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Behind:
    """The people and passages behind one number of a joint display."""

    enrolments: tuple[str, ...]
    quotes: tuple[QuoteRef, ...]


def behind_key(table: str, row: int, column: int) -> str:
    """The key of one cell of a joint display: ``jd:<table key>:<row>:<column>``.

    ``row`` and ``column`` count from 0 in the table as the report holds it (the first
    column is the row heading); the same inputs and options give the same keys.
    """
    return f"jd:{table}:{row}:{column}"


@dataclass(frozen=True)
class Report:
    """The whole evaluation report."""

    title: str
    balm_version: str
    input_sha256: dict[str, str]
    id_column: str
    time_column: str
    pre_label: str
    post_label: str
    flow: Flow
    attendance: Attendance
    checkins: Checkins
    outcomes: tuple[OutcomeReport, ...]
    tables: tuple[Table, ...]
    figures: tuple[Figure, ...]
    summary: tuple[str, ...]
    limitations: tuple[str, ...]
    notes: tuple[str, ...]
    themes: tuple[Theme, ...] = ()
    joint_display: dict[str, Any] = field(default_factory=dict)
    qualitative_given: bool = False
    #: Who and which passages stand behind each number of a joint display, by
    #: :func:`behind_key`; cells with nobody behind them have no entry.
    behind_index: dict[str, Behind] = field(default_factory=dict)
    #: Counts under 5 are suppressed (:mod:`balm.report.shareable`) and uncleared quotes
    #: left out.
    shareable: bool = False
    #: balm, its scorer and the libraries the numbers passed through, with their versions.
    versions: dict[str, str] = field(default_factory=dict)

    def behind(self, key: str) -> Behind | None:
        """The enrolments and quotes behind the joint-display number ``key``
        (``jd:<table key>:<row>:<column>``, see :func:`behind_key`), or None."""
        return self.behind_index.get(key)

    def table(self, key: str) -> Table:
        """The table called ``key``."""
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)
