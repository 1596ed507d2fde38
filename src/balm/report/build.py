"""From validated inputs to the report model: sections, tables, figures and plain words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd

from balm import __version__
from balm.report import clinical, comparisons, engagement, figures, shareable, text
from balm.report.inputs import (
    ReportInputs,
    ReportOptions,
    check_frames,
    score_columns,
    time_labels,
)
from balm.report.model import (
    CATEGORY_ORDER,
    CHANGE_COLUMNS,
    Behind,
    Figure,
    OutcomeReport,
    Report,
    Table,
    Theme,
)
from balm.report.outcomes import ScoreColumn, analyse_outcome, match_column, number
from balm.report.qualitative import build_qualitative, session_feedback
from balm.report.reuse import Reused


def _inline(svg: str) -> str:
    return svg[svg.index("<svg") :]


def _per_enrolment(scores: pd.DataFrame, options: ReportOptions, column: str) -> pd.Series:
    """One value of ``column`` per enrolment (its first non-blank value)."""
    return scores.groupby(options.id, sort=True)[column].first()


def _completeness(
    scores: pd.DataFrame, options: ReportOptions, matched: list[ScoreColumn]
) -> Table:
    """Per instrument and timepoint: enrolments with any score of the instrument then."""
    from balm.change import ordered_timepoints

    total = int(scores[options.id].nunique())
    by_instrument: dict[str, list[str]] = {}
    for m in matched:
        by_instrument.setdefault(m.instrument.id, []).append(m.column)
    rows = []
    for timepoint in ordered_timepoints(scores[options.time]):
        at = scores.loc[scores[options.time] == timepoint]
        for instrument, columns in sorted(by_instrument.items()):
            scored = at[columns].apply(pd.to_numeric, errors="coerce").notna().any(axis=1)
            n = int(at.loc[scored, options.id].nunique())
            rows.append(
                (str(timepoint), instrument, n, total, 100.0 * n / total if total else None)
            )
    return Table(
        "completeness",
        f"Data completeness: enrolments with a score, per timepoint and questionnaire "
        f"(of the {total} enrolments in the scores file)",
        ("timepoint", "questionnaire", "n", "of", "%"),
        tuple(rows),
    )


def _bands(matched: ScoreColumn, values: pd.Series) -> pd.Series:
    """The catalogue's severity band of each score: the band whose printed minimum the score
    has reached, as balm's scoring engine bands (a score of 9.5 on 5-9/10-14 is in 5-9)."""
    assert matched.scale.bands is not None
    bands = matched.scale.bands.bands
    minima = np.array([b.minimum for b in bands])
    present = values.dropna().to_numpy(dtype=np.float64)
    index = np.searchsorted(minima, present, side="right") - 1
    labels = [bands[i].label if i >= 0 else "below range" for i in index]
    return pd.Series(labels, dtype="string")


def _baseline(
    scores: pd.DataFrame, options: ReportOptions, matched: list[ScoreColumn]
) -> list[Table]:
    tables: list[Table] = []
    total = int(scores[options.id].nunique())
    for column, title in (("diagnosis", "Diagnosis"), ("format", "Format")):
        if column not in scores.columns:
            continue
        values = _per_enrolment(scores, options, column).astype("string").fillna("not recorded")
        counts = values.value_counts().sort_index()
        tables.append(
            Table(
                f"baseline_{column}",
                f"{title} of the {total} enrolments in the scores file",
                (column, "n", "%"),
                tuple((str(k), int(v), 100.0 * int(v) / total) for k, v in counts.items()),
            )
        )
    at_pre = scores.loc[(time_labels(scores[options.time]) == options.pre).fillna(False)]
    rows = []
    for m in matched:
        if m.scale.bands is None:
            continue
        values = pd.to_numeric(at_pre[m.column], errors="coerce").dropna()
        labels = _bands(m, values)
        n = len(labels)
        for band in m.scale.bands.bands:
            count = int((labels == band.label).sum())
            rows.append((m.column, band.label, count, n, 100.0 * count / n if n else None))
    tables.append(
        Table(
            "baseline_bands",
            f"Severity at {options.pre} by the catalogue's bands (questionnaires with bands)",
            ("score", "band", "n", "of", "%"),
            tuple(rows),
        )
    )
    return tables


def _outcome_tables(outcomes: list[OutcomeReport], options: ReportOptions) -> list[Table]:
    main = []
    change = []
    cats = []
    params = []
    growth = []
    for o in outcomes:
        main.append(
            (
                o.column,
                o.better,
                o.pre.n,
                o.pre.mean,
                o.pre.sd,
                o.post.n,
                o.post.mean,
                o.post.sd,
            )
        )
        change.append(
            (
                o.column,
                o.n,
                o.paired_pre.mean,
                o.paired_post.mean,
                o.change_mean,
                o.change_ci_low,
                o.change_ci_high,
                o.d_z.estimate,
                o.d_z.ci_low,
                o.d_z.ci_high,
                o.g_av.estimate,
                o.g_av.ci_low,
                o.g_av.ci_high,
            )
        )
        counts = o.categories or {}
        cats.append(
            (
                o.column,
                o.n if o.categories is not None else None,
                o.method,
                None if o.reliability is None else float(o.reliability.value),
                o.cutoff_type,
                None if o.cutoff is None else float(o.cutoff.value),
                *(counts.get(c) if o.categories is not None else None for c in CATEGORY_ORDER),
            )
        )
        if o.growth is not None:
            growth.append(
                (
                    o.column,
                    o.growth.n_participants,
                    o.growth.n_observations,
                    o.growth.slope,
                    o.growth.ci_low,
                    o.growth.ci_high,
                )
            )
        for p in o.parameters:
            params.append((o.column, p.name, p.value, p.source))
    pre, post = options.pre, options.post
    return [
        Table(
            "outcomes",
            f"Scores at {pre} and {post}: everyone with a score then",
            (
                "score",
                "better",
                f"{pre} n",
                f"{pre} mean",
                f"{pre} SD",
                f"{post} n",
                f"{post} mean",
                f"{post} SD",
            ),
            tuple(main),
        ),
        Table(
            "change",
            f"Change in those with both scores (n): means, mean change ({post} − {pre}) with "
            "95% CI, Cohen's d_z and Hedges' g_av with 95% CIs",
            (
                "score",
                "n (both)",
                f"{pre} mean (both)",
                f"{post} mean (both)",
                *CHANGE_COLUMNS,
                "g_av",
                "g_av CI low",
                "g_av CI high",
            ),
            tuple(change),
        ),
        Table(
            "growth",
            "Growth model over all weeks and everyone with a score: change per week "
            "(score ~ week + (week | person), REML; 95% Wald CI)",
            ("score", "people", "observations", "slope", "slope CI low", "slope CI high"),
            tuple(growth),
        ),
        Table(
            "categories",
            "Reliable and clinically significant change (combined approach, Jacobson & Truax "
            "1991): people per category, with the method, reliability and cut-off used",
            (
                "score",
                "n",
                "method",
                "reliability",
                "cut-off type",
                "cut-off",
                *CATEGORY_ORDER,
            ),
            tuple(cats),
        ),
        Table(
            "parameters",
            "Every number the change categories used, with its source",
            ("score", "parameter", "value", "source"),
            tuple(params),
        ),
    ]


def build_report(
    inputs: ReportInputs,
    options: ReportOptions | None = None,
    *,
    figures_on: bool | Literal["listed"] = True,
) -> Report:
    """Build the evaluation report from validated inputs (see :mod:`balm.report.inputs`).

    ``figures_on``: True draws every figure; ``"listed"`` lists each figure (key, text
    alternative, table) without drawing it (``Figure.svg`` is None), for a page that shows
    the numbers first and fetches the drawings apart (drawing is most of a small report's
    time); False leaves figures out.

    Raises :class:`balm.report.inputs.ReportInputError` when the frames have problems (so a
    caller that made its own frames gets the same checks as the command line).
    """
    from balm.report.inputs import ReportInputError

    opts = options or ReportOptions()
    problems = []
    if inputs.checked_with != opts:
        problems = check_frames(
            inputs.scores,
            opts,
            checkins=inputs.checkins,
            sessions=inputs.sessions,
            enrolments=inputs.enrolments,
        )
    if problems:
        raise ReportInputError(problems)
    scores = inputs.scores
    notes: list[str] = []
    matched: list[ScoreColumn] = []
    for column in score_columns(scores, opts):
        m = match_column(column)
        if m is None:
            notes.append(
                f"column {column!r} is not an <instrument>_<scale> of the catalogue: not analysed"
            )
        else:
            matched.append(m)
    # A Jacobson plot shows each person as a point: left out of a shareable report.
    reused = Reused(scores, opts)
    outcomes = [
        analyse_outcome(
            scores, opts, m, figures=figures_on is True and not opts.shareable, reused=reused
        )
        for m in matched
    ]
    outcomes, clinical_tables = clinical.with_clinical(scores, opts, outcomes)
    flow = engagement.participant_flow(scores, opts, inputs.enrolments)
    attendance = engagement.attendance(inputs.sessions, inputs.enrolments)
    checkins = engagement.checkins_summary(inputs.checkins, opts)

    tables: list[Table] = []
    figs: list[Figure] = []

    def add_figure(key: str, draw: Callable[[], str], alt: str, table_key: str) -> None:
        if figures_on is not False:
            figs.append(Figure(key, draw() if figures_on is True else None, alt, table_key))

    flow_rows = [(label, value) for label, value in figures.flow_steps(flow)]
    flow_rows += [
        ("Withdrew", flow.withdrawn),
        ("Withdrew before starting", flow.withdrawn_before_start),
        ("Withdrew after starting", flow.withdrawn_after_start),
        ("In the scores file", flow.in_scores),
        (f"With a score at {opts.pre}", flow.with_baseline),
        (f"With a score at {opts.post}", flow.with_post),
    ]
    tables.append(Table("flow", "Participant flow (enrolments)", ("step", "n"), tuple(flow_rows)))
    tables.append(
        Table(
            "withdrawals",
            "Reasons for withdrawing, as recorded",
            ("reason", "n"),
            tuple(flow.reasons.items()),
        )
    )
    add_figure(
        "flow",
        lambda: figures.flow_diagram(flow),
        "Flow diagram of enrolments from referral to follow-up; the numbers are in "
        "the participant flow table.",
        "flow",
    )
    if inputs.sessions is not None:
        by_session = engagement.attendance_by_session(inputs.sessions)
        tables.append(
            Table(
                "attendance",
                "Attendance per session number, over the cohorts that held it",
                ("session", "cohorts", "attended", "enrolled", "%"),
                tuple(
                    (int(s), int(c), int(a), int(e), None if number(r) is None else 100.0 * r)
                    for s, c, a, e, r in zip(
                        by_session["session"].tolist(),
                        by_session["cohorts"].tolist(),
                        by_session["attended"].tolist(),
                        by_session["enrolled"].tolist(),
                        by_session["rate"].astype("float64").tolist(),
                        strict=True,
                    )
                ),
            )
        )
        add_figure(
            "attendance",
            lambda: figures.attendance_chart(
                [int(s) for s in by_session["session"]],
                [number(r) for r in by_session["rate"]],
            ),
            "Bar chart of the share of enrolled people who attended each session; "
            "the numbers are in the attendance table.",
            "attendance",
        )
    if checkins.given:
        scale_names = sorted({s for w in checkins.by_week for s in w.scales})
        tables.append(
            Table(
                "checkins",
                "Weekly check-ins: returned, home-practice minutes (people reporting, mean, "
                "median) and the mean of each rating (0-10)",
                (
                    "week",
                    "returned",
                    "practice n",
                    "practice mean",
                    "practice median",
                    *scale_names,
                ),
                tuple(
                    (
                        w.week,
                        w.returned,
                        w.practice_n,
                        w.practice_mean,
                        w.practice_median,
                        *(w.scales.get(s) for s in scale_names),
                    )
                    for w in checkins.by_week
                ),
            )
        )
        add_figure(
            "checkins",
            lambda: figures.practice_chart(checkins.by_week),
            "Line chart of the median minutes of home practice reported each week; "
            "the numbers are in the check-ins table.",
            "checkins",
        )
    tables.append(_completeness(scores, opts, matched))
    tables.extend(_baseline(scores, opts, matched))
    tables.extend(_outcome_tables(outcomes, opts))
    tables.extend(clinical_tables)
    if inputs.checkins is not None and checkins.given:
        tables.append(comparisons.checkin_growth(inputs.checkins, opts))
        add_figure(
            "checkin_trajectories",
            lambda: figures.checkin_trajectories(checkins.by_week),
            "Line chart of the mean of each weekly check-in rating per week; the "
            "numbers are in the check-ins table, the growth models in the table "
            "below it.",
            "checkins",
        )
    completers_table, completers_basis = comparisons.completers(
        scores, opts, outcomes, inputs.enrolments, reused=reused
    )
    tables.append(completers_table)
    notes.append(f"completers and everyone: {completers_basis}")
    if inputs.enrolments is not None:
        tables.append(comparisons.dose(scores, opts, outcomes, inputs.enrolments, reused=reused))
    compared, compare_notes = comparisons.comparisons(scores, opts, outcomes)
    notes.extend(compare_notes)
    if compared is not None:
        tables.append(compared)
        add_figure(
            "comparisons",
            lambda: figures.forest_plot(
                [
                    (
                        f"{g}: {c} {lv}" + ("" if kind == "reference" else " (diff.)"),
                        e,
                        lo,
                        hi,
                    )
                    for g, c, lv, kind, e, lo, hi in compared.rows
                ]
            ),
            "Forest plot of the reference level's change per week and each other "
            "level's difference from it, with 95% confidence intervals; the numbers "
            "are in the comparisons table.",
            "comparisons",
        )
    feedback = session_feedback(inputs.sessions, shareable=opts.shareable)
    if feedback is not None:
        tables.append(feedback)
    elif opts.shareable and inputs.sessions is not None:
        notes.append("shareable report: the facilitators' free-text feedback is left out")
    themes: list[Theme] = []
    behind: dict[str, Behind] = {}
    joint: dict[str, object] = {}
    if inputs.qual is not None:
        qual = build_qualitative(inputs.qual, scores, opts, outcomes, shareable=opts.shareable)
        tables.extend(qual.tables)
        notes.extend(qual.notes)
        themes, behind, joint = qual.themes, qual.behind, qual.joint
        if opts.shareable:
            notes.append(
                f"shareable report: {qual.quotes_left_out} quotes not cleared for sharing "
                "(no 'cleared for sharing' coding over them) are left out"
            )
    tables.append(_methods(opts, matched))
    for o in outcomes:
        # the outcomes with change categories have a plot, unless shareable (points are people)
        if o.jacobson_svg is not None or (
            figures_on == "listed" and o.categories is not None and not opts.shareable
        ):
            figs.append(
                Figure(
                    f"jacobson_{o.column}",
                    None if o.jacobson_svg is None else _inline(o.jacobson_svg),
                    f"Scatter plot of each person's {opts.pre} score against their "
                    f"{opts.post} score on {o.label}, coloured by change category; the "
                    "counts are in the change categories table.",
                    "categories",
                )
            )
    report = Report(
        title=opts.title,
        balm_version=__version__,
        input_sha256=dict(sorted(inputs.sha256.items())),
        id_column=opts.id,
        time_column=opts.time,
        pre_label=opts.pre,
        post_label=opts.post,
        flow=flow,
        attendance=attendance,
        checkins=checkins,
        outcomes=tuple(outcomes),
        tables=tuple(tables),
        figures=tuple(figs),
        summary=(),
        limitations=(),
        notes=tuple(notes),
        themes=tuple(themes),
        joint_display=joint,
        qualitative_given=inputs.qual is not None,
        behind_index=behind,
        shareable=opts.shareable,
        versions=_versions(),
    )
    if opts.shareable:
        report = shareable.suppress(report)
    return text.with_words(report)


def _versions() -> dict[str, str]:
    """balm, the scorer and the libraries every number passed through."""
    from importlib.metadata import version

    from balm.instruments import SCORER_VERSION

    found = {"balm": __version__, "balm scorer": SCORER_VERSION}
    for package in ("numpy", "pandas", "scipy", "matplotlib", "jinja2"):
        found[package] = version(package)
    return found


def _methods(opts: ReportOptions, matched: list[ScoreColumn]) -> Table:
    """Every option and fixed choice of the report, with where it comes from."""
    rows: list[tuple[str, object, str]] = [
        ("id column", opts.id, "--id"),
        ("timepoint column", opts.time, "--time"),
        ("pre timepoint", opts.pre, "--pre"),
        ("post timepoint", opts.post, "--post"),
        ("follow-up timepoint", opts.follow_up, "--follow-up"),
        ("week column", opts.week, "balm's export"),
        ("k (attended at least k sessions)", opts.k, "--min-sessions"),
        ("sessions planned", opts.sessions_planned, "--sessions-planned"),
        ("shareable (counts under 5 suppressed)", "yes" if opts.shareable else "no", "--shareable"),
        ("change categories", "combined approach, Jacobson-Truax RCI, cut-off auto",
         "balm change defaults (Jacobson & Truax 1991)"),
        ("growth model", "score ~ week * group + (week | person), REML, 95% Wald CI",
         "balm.change.mixed.fit_growth_model"),
        ("d_z interval", "exact noncentral t", "Lakens 2013"),
        ("g_av interval", "Algina & Keselman", "Lakens 2013"),
        ("exemplar quote", "longest passage of at most 300 characters",
         "balm.qual.recurrence"),
        ("joint displays", "statistics by themes, presence by category, case by case, "
         "discordant cases", "Guetterman, Fetters & Creswell 2015"),
    ]  # fmt: skip
    for m in matched:
        rows.append(
            (
                f"{m.column}: instrument version",
                m.instrument.version,
                f"balm catalogue ({m.instrument.citation})",
            )
        )
    return Table(
        "methods",
        "Methods: every option and fixed choice of this report, with its source",
        ("parameter", "value", "source"),
        tuple(rows),
    )
