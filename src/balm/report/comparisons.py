"""Growth models beyond the main outcomes: the weekly check-in ratings over the weeks,
completers beside everyone who started, attendance against change (dose), and the
comparison of cohorts, sites and formats (grouping and grouping x time).

Every model is :func:`balm.change.mixed.fit_growth_model` (``score ~ week * group +
(week | person)``, REML, 95% Wald intervals); paired changes are
:func:`balm.change.group_change`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from balm.change import pre_post
from balm.change.mixed import fit_growth_model
from balm.report.engagement import PRACTICE
from balm.report.inputs import ReportOptions, time_labels
from balm.report.model import CHANGE_COLUMNS, OutcomeReport, Table
from balm.report.outcomes import number
from balm.report.reuse import Reused

#: Groupings compared when the scores hold more than one level of them.
GROUPINGS = ("site", "format", "cohort")
#: More cohorts than this are not compared one by one (a forest of tens of rows says little).
MAX_COHORTS = 12


@dataclass(frozen=True)
class Slope:
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    people: int
    observations: int
    note: str


def _term(fixed: pd.DataFrame, term: str) -> tuple[float | None, float | None, float | None]:
    values = fixed.loc[term, ["estimate", "ci_low", "ci_high"]].to_numpy(dtype=np.float64)
    return number(values[0]), number(values[1]), number(values[2])


def growth_slope(
    data: pd.DataFrame, *, id: str, time: str, outcome: str, by: Sequence[str] = ()
) -> tuple[Slope, pd.DataFrame | None]:
    """The fixed slope of ``outcome ~ time (* by) + (time | id)`` and all fixed effects."""
    frame = data[[id, time, outcome, *by]].dropna()
    try:
        fit = fit_growth_model(frame, id=id, time=time, outcome=outcome, by=by)
    except ValueError as error:  # GrowthModelInputError, or a fit that cannot be made
        return Slope(None, None, None, 0, len(frame), f"not fitted: {error}"), None
    estimate, low, high = _term(fit.fixed_effects, time)
    return (
        Slope(
            estimate,
            low,
            high,
            int(fit.n_participants),
            int(fit.n_observations),
            "REML, 95% Wald interval",
        ),
        fit.fixed_effects,
    )


def checkin_growth(checkins: pd.DataFrame, options: ReportOptions) -> Table:
    """One growth model per check-in rating (``checkin_<scale>``, not practice minutes)."""
    frame = checkins.copy()
    frame["week"] = pd.to_numeric(frame["week"])
    rows = []
    for column in sorted(str(c) for c in frame.columns if str(c).startswith("checkin_")):
        if column == PRACTICE:
            continue
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
        slope, _ = growth_slope(frame, id=options.id, time="week", outcome=column)
        rows.append(
            (
                column.removeprefix("checkin_"),
                slope.people,
                slope.observations,
                slope.estimate,
                slope.ci_low,
                slope.ci_high,
            )
        )
    return Table(
        "checkin_growth",
        "Weekly check-ins: growth model per rating, change per week (rating ~ week + "
        "(week | person), REML; 95% Wald CI)",
        ("rating", "people", "observations", "slope", "slope CI low", "slope CI high"),
        tuple(rows),
    )


def _time(scores: pd.DataFrame, options: ReportOptions) -> tuple[pd.DataFrame, str]:
    if options.week in scores.columns:
        frame = scores.assign(**{options.week: pd.to_numeric(scores[options.week])})
        return frame, options.week
    from balm.change import ordered_timepoints

    order = {v: float(i) for i, v in enumerate(ordered_timepoints(scores[options.time]))}
    return scores.assign(_rank=scores[options.time].map(order)), "_rank"


def completers(
    scores: pd.DataFrame,
    options: ReportOptions,
    outcomes: Sequence[OutcomeReport],
    enrolments: pd.DataFrame | None,
    *,
    reused: Reused | None = None,
) -> tuple[Table, str]:
    """Paired change (mean with 95% CI, d_z) for everyone who started and for completers
    (the growth model over everyone's scores is in the outcomes section).

    With the enrolments file: everyone = enrolments with ``started_on``, completers = those
    with ``completed_on``. Without it: everyone = every enrolment in the scores, completers =
    those with a score at the post timepoint (said so in the report).
    """
    reused = reused or Reused(scores, options)
    frame = scores
    ids = frame[options.id].astype("string")
    if enrolments is not None:
        key = enrolments[options.id].astype("string")
        started = set(key[enrolments["started_on"].notna()])
        done = set(key[enrolments["completed_on"].notna()])
        basis = "started = a start date in the enrolments file; completers = a completion date"
    else:
        started = set(ids.dropna())
        done = set(
            ids[
                (time_labels(frame[options.time]) == options.post).fillna(False)
                & frame[[o.column for o in outcomes]].notna().any(axis=1)
            ].dropna()
        )
        basis = (
            "no enrolments file: everyone = every enrolment in the scores; completers = those "
            f"with a score at {options.post}"
        )
    rows = []
    for o in outcomes:
        for label, chosen in (("everyone who started", started), ("completers", done)):
            keep = ids.isin(chosen).fillna(False).to_numpy()
            part = frame.loc[keep]
            if not len(part):
                # No one in the group yet (a group half-way has no completers): no pairs.
                pairs = pd.DataFrame({"pre": [], "post": []})
            elif keep.all():
                # Everyone in the scores: the very pairs of the outcomes section.
                pairs = reused.complete_pairs(o.column)
            else:
                pairs = pre_post(
                    part, id=options.id, time=options.time, outcome=o.column,
                    pre=options.pre, post=options.post,
                ).complete  # fmt: skip
            change = reused.group_change(
                pairs["pre"].to_numpy(dtype=np.float64), pairs["post"].to_numpy(dtype=np.float64)
            )
            rows.append(
                (
                    o.column,
                    label,
                    len(chosen),
                    change.n,
                    number(change.mean_change),
                    number(change.change_ci_low),
                    number(change.change_ci_high),
                    number(change.d_z.estimate),
                    number(change.d_z.ci_low),
                    number(change.d_z.ci_high),
                )
            )
    table = Table(
        "completers",
        "Completers and everyone who started, side by side: mean change in those with both "
        "scores, with 95% CIs, and Cohen's d_z",
        (
            "score",
            "who",
            "people",
            "n (both)",
            *CHANGE_COLUMNS,
        ),
        tuple(rows),
    )
    return table, basis


def _correlation(x: np.ndarray, y: np.ndarray) -> tuple[float | None, float | None, float | None]:
    """Pearson r with its 95% CI by Fisher's z (r +- 1.96 / sqrt(n - 3), back-transformed)."""
    n = len(x)
    if n < 4 or np.std(x) == 0 or np.std(y) == 0:
        return None, None, None
    r = float(stats.pearsonr(x, y).statistic)
    if abs(r) >= 1:
        return r, None, None
    z, half = math.atanh(r), 1.959963984540054 / math.sqrt(n - 3)
    return r, math.tanh(z - half), math.tanh(z + half)


def dose(
    scores: pd.DataFrame,
    options: ReportOptions,
    outcomes: Sequence[OutcomeReport],
    enrolments: pd.DataFrame,
    *,
    reused: Reused | None = None,
) -> Table:
    """Sessions attended against change (post - pre), per outcome: Pearson r with its CI,
    and the mean change of those below and at or above k sessions."""
    reused = reused or Reused(scores, options)
    attended = pd.Series(
        pd.to_numeric(enrolments["sessions_attended"], errors="coerce").to_numpy(),
        index=enrolments[options.id].astype("string"),
    ).dropna()
    rows = []
    for o in outcomes:
        pairs = reused.complete_pairs(o.column)
        change = (pairs["post"] - pairs["pre"]).astype(np.float64)
        change.index = change.index.astype("string")
        both = pd.concat([attended.rename("a"), change.rename("c")], axis=1, join="inner")
        r, low, high = _correlation(both["a"].to_numpy(np.float64), both["c"].to_numpy(np.float64))
        below = both.loc[both["a"] < options.k, "c"]
        above = both.loc[both["a"] >= options.k, "c"]
        rows.append(
            (
                o.column,
                len(both),
                number(r),
                number(low),
                number(high),
                len(below),
                number(below.mean()) if len(below) else None,
                len(above),
                number(above.mean()) if len(above) else None,
            )
        )
    return Table(
        "dose",
        f"Attendance against change: Pearson r between sessions attended and change (95% CI "
        f"by Fisher's z), and mean change below and at or above {options.k} sessions",
        (
            "score",
            "n",
            "r",
            "r CI low",
            "r CI high",
            f"n below {options.k}",
            f"change below {options.k}",
            f"n {options.k}+",
            f"change {options.k}+",
        ),
        tuple(rows),
    )


def _same_partition(frame: pd.DataFrame, a: str, b: str) -> bool:
    """True when columns ``a`` and ``b`` split the rows into the same groups."""
    pairs = frame[[a, b]].dropna().drop_duplicates()
    return bool(pairs[a].is_unique and pairs[b].is_unique)


def comparisons(
    scores: pd.DataFrame, options: ReportOptions, outcomes: Sequence[OutcomeReport]
) -> tuple[Table | None, list[str]]:
    """The growth model with the groupings and grouping x time, per outcome.

    Site and format (those with more than one level) enter one model together, so each is
    adjusted for the other; cohorts (2 to ``MAX_COHORTS``) get a model of their own, as a
    cohort has one site and one format. Rows: each grouping's reference level (the first,
    sorted) with the model's change per week, then each other level's difference in slope
    from it, with 95% Wald CIs.
    """
    frame, time = _time(scores, options)
    notes: list[str] = []
    levels: dict[str, list[str]] = {}
    for grouping in GROUPINGS:
        if grouping not in frame.columns:
            continue
        found = sorted(str(v) for v in frame[grouping].dropna().unique())
        if len(found) < 2:
            continue
        if grouping == "cohort" and len(found) > MAX_COHORTS:
            notes.append(
                f"{len(found)} cohorts: too many to compare one by one (more than "
                f"{MAX_COHORTS}); compared by site and format instead"
            )
            continue
        same = next((g for g in levels if _same_partition(frame, grouping, g)), None)
        if same is not None:
            notes.append(f"each {grouping} is one {same}: compared by {same} only")
            continue
        levels[grouping] = found
    models: list[tuple[str, ...]] = [tuple(g for g in ("site", "format") if g in levels)]
    if "cohort" in levels:
        models.append(("cohort",))
    rows = []
    for by in (m for m in models if m):
        data = frame.assign(**{g: frame[g].astype("string") for g in by})
        for o in outcomes:
            slope, fixed = growth_slope(data, id=options.id, time=time, outcome=o.column, by=by)
            if fixed is None:
                notes.append(f"{o.column} by {' and '.join(by)}: {slope.note}")
                continue
            for grouping in by:
                first, *others = levels[grouping]
                rows.append((grouping, o.column, first, "reference", slope.estimate,
                             slope.ci_low, slope.ci_high))  # fmt: skip
                for level in others:
                    term = f"{time}:{grouping}[{level}]"
                    if term in fixed.index:
                        rows.append(
                            (grouping, o.column, level, "difference in slope", *_term(fixed, term))
                        )
    if not rows:
        return None, notes
    return (
        Table(
            "comparisons",
            "Comparisons: growth model with the groupings and grouping x time (score ~ week * "
            "(site + format) + (week | person), cohorts in a model of their own; REML); the "
            "change per week at the reference levels, and each other level's difference "
            "from it, with 95% Wald CIs",
            ("grouping", "score", "level", "estimate", "slope", "slope CI low", "slope CI high"),
            tuple(rows),
        ),
        notes,
    )
