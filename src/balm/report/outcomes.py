"""One outcome column: every statistic comes from :mod:`balm.change`, none is computed here."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from balm.change import (
    ChangeInputError,
    ChangeResult,
    EffectSize,
    MissingParameterError,
    analyse_change,
    timepoint_summary,
)
from balm.instruments import Instrument, Scale, catalogue
from balm.report.inputs import ReportOptions, time_labels
from balm.report.model import Effect, Growth, OutcomeReport, Parameter, Summary
from balm.report.reuse import Reused

#: Jacobson plots of more people than this draw their points as one embedded image, so the
#: PDF stays quick to lay out (the HTML keeps its data table beside the plot).
RASTERISE_OVER = 200


def number(value: float | int | None) -> float | None:
    """A float for the model: None for a missing or non-finite value (JSON has no NaN)."""
    if value is None:
        return None
    result = float(value)
    return result if math.isfinite(result) else None


@dataclass(frozen=True)
class ScoreColumn:
    """An outcome column matched to its catalogue instrument and scale."""

    column: str
    instrument: Instrument
    scale: Scale

    @property
    def label(self) -> str:
        if len(self.instrument.scales) == 1:
            return self.instrument.short_name
        return f"{self.instrument.short_name} {self.scale.name.lower()}"


def match_column(column: str) -> ScoreColumn | None:
    """The catalogue instrument and scale of ``<instrument>_<scale>``, or None.

    Instrument ids may hold an underscore (``bpi_sf``), so the longest id that prefixes the
    column and leaves a scale of that instrument wins.
    """
    known = catalogue()
    for instrument_id in sorted(known, key=len, reverse=True):
        prefix = f"{instrument_id}_"
        if column.startswith(prefix):
            instrument = known[instrument_id]
            scale_id = column[len(prefix) :]
            for scale in instrument.scales:
                if scale.id == scale_id:
                    return ScoreColumn(column, instrument, scale)
    return None


def _effect(effect: EffectSize) -> Effect:
    return Effect(
        effect.name,
        number(effect.estimate),
        number(effect.ci_low),
        number(effect.ci_high),
        effect.ci_method,
    )


def _at(summary: pd.DataFrame, label: str) -> Summary:
    row = summary.loc[(time_labels(summary["time"]) == label).fillna(False)]
    if row.empty:
        return Summary(0, None, None)
    first = row.iloc[0]
    return Summary(int(first["n"]), number(first["mean"]), number(first["sd"]))


def _growth(scores: pd.DataFrame, options: ReportOptions, column: str) -> Growth | None:
    from balm.change.mixed import fit_growth_model

    time = options.week if options.week in scores.columns else None
    frame = scores
    note = (
        f"{options.week} as time; every observation of every participant (REML, 95% Wald interval)"
    )
    if time is None:
        # No week column: the timepoints in their order, 0, 1, 2 ... (stated in the report).
        from balm.change import ordered_timepoints

        order = {v: float(i) for i, v in enumerate(ordered_timepoints(scores[options.time]))}
        frame = scores.assign(_rank=scores[options.time].map(order))
        time = "_rank"
        note = "no week column: timepoints coded 0, 1, 2 ... in order"
    data = frame[[options.id, time, column]].dropna()
    try:
        fit = fit_growth_model(data, id=options.id, time=time, outcome=column)
    except ValueError as error:  # GrowthModelInputError, or a fit that cannot be made
        return Growth(time, None, None, None, 0, len(data), f"not fitted: {error}")
    row = fit.fixed_effects.loc[time, ["estimate", "ci_low", "ci_high"]]
    estimate, low, high = (float(v) for v in row.to_numpy(dtype=np.float64))
    return Growth(
        options.week if time != "_rank" else "timepoint rank",
        number(estimate),
        number(low),
        number(high),
        int(fit.n_participants),
        int(fit.n_observations),
        note,
    )


def _parameter(result: ChangeResult | None, name: str) -> Parameter | None:
    if result is None:
        return None
    used = result.parameter(name)
    if used is None:
        return None
    return Parameter(used.name, used.value, used.source)


def _by_person(result: ChangeResult | None) -> dict[str, str]:
    """Each analysed id's change category (text), as :func:`balm.change.analyse_change` gave."""
    if result is None:
        return {}
    cats = result.participants["category"].dropna()
    return {str(k): str(v) for k, v in sorted(cats.items(), key=lambda kv: str(kv[0]))}


def analyse_outcome(
    scores: pd.DataFrame,
    options: ReportOptions,
    matched: ScoreColumn,
    *,
    figures: bool = True,
    reused: Reused | None = None,
) -> OutcomeReport:
    """Descriptives, change, effect sizes, growth model and change categories of one column.

    Categories are those of ``balm change --instrument <i> --scale <s>`` with its defaults:
    the combined approach of Jacobson & Truax (1991) with their reliable change index, the
    cut-off chosen as ``auto`` (c when functional norms exist, else a), parameters from the
    catalogue (:func:`balm.change.analyse_change`). Mean change and its 95% t interval,
    Cohen's d_z (exact noncentral t interval) and Hedges' g_av (Algina & Keselman interval,
    Lakens 2013) over complete pairs (:func:`balm.change.group_change`); mean and SD at each
    timepoint over everyone with a score then (:func:`balm.change.timepoint_summary`); the
    slope of the growth model over all weeks (:func:`balm.change.mixed.fit_growth_model`).
    """
    column = matched.column
    reused = reused or Reused(scores, options)
    assert reused.scores is scores and reused.options == options
    complete = reused.complete_pairs(column)
    # The report shows no p-values: the tests are not run (see group_change).
    group = reused.group_change(
        complete["pre"].to_numpy(dtype=np.float64), complete["post"].to_numpy(dtype=np.float64)
    )
    by_time = timepoint_summary(scores, id=options.id, time=options.time, outcome=column)
    result: ChangeResult | None = None
    note: str
    try:
        result = analyse_change(
            scores,
            id=options.id,
            time=options.time,
            outcome=column,
            pre=options.pre,
            post=options.post,
            instrument=matched.instrument.id,
            scale=matched.scale.id,
        )
        note = " ".join(
            result.notes
            or ("combined approach (Jacobson & Truax 1991), as balm change gives by default",)
        )
    except MissingParameterError as error:
        note = f"no change categories: {error}"
    except ChangeInputError as error:
        note = f"no change categories: {error}"
    svg = None
    if result is not None and figures:
        from balm.change.figures import jacobson_plot

        svg = jacobson_plot(
            result,
            title=f"{matched.label}: each person's {options.pre} and {options.post} score",
            rasterized=result.n_included > RASTERISE_OVER,
        )
    n = group.n
    return OutcomeReport(
        column=column,
        instrument=matched.instrument.id,
        scale=matched.scale.id,
        label=matched.label,
        better="higher" if matched.scale.direction.value == "higher_better" else "lower",
        n=n,
        pre=_at(by_time, options.pre),
        post=_at(by_time, options.post),
        paired_pre=Summary(n, number(group.mean_pre), number(group.sd_pre)),
        paired_post=Summary(n, number(group.mean_post), number(group.sd_post)),
        change_mean=number(group.mean_change),
        change_sd=number(group.sd_change),
        change_ci_low=number(group.change_ci_low),
        change_ci_high=number(group.change_ci_high),
        d_z=_effect(group.d_z),
        g_av=_effect(group.g_av),
        growth=_growth(scores, options, column),
        method=None if result is None or result.method is None else result.method.value,
        approach=None if result is None else result.approach.value,
        reliability=_parameter(result, "reliability"),
        cutoff=_parameter(result, "cutoff"),
        cutoff_type=None if result is None or result.cutoff is None else result.cutoff.type.value,
        categories=None if result is None else result.counts(),
        categories_note=note,
        parameters=()
        if result is None
        else tuple(Parameter(p.name, p.value, p.source) for p in result.parameters),
        jacobson_svg=svg,
        by_person=_by_person(result),
    )
