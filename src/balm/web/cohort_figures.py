"""The cohort page's Jacobson plots: each person's first answer against their latest, coloured
by the same reliable-change category the participants table shows.

The categories come from :func:`balm.change.individual_changes` (the catalogue's published
numbers, as the table); the plot is :func:`balm.change.figures.jacobson_plot`, given those
categories and numbers as a :class:`balm.change.ChangeResult`, so the picture and the table
cannot disagree. Each plot is an ``<img>`` of a ``data:`` URL (the page's Content-Security-
Policy does not reach inside a picture, and matplotlib's SVG carries style attributes).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pandas as pd

from balm.change import Approach, Better, ChangeResult, Cutoff, CutoffType, IndividualChanges
from balm.change.figures import jacobson_plot
from balm.change.parameters import Parameter
from balm.change.reliable import RCMethod
from balm.instruments.schema import Instrument, Scale
from balm.web.record import CohortChanges, format_score


@dataclass(frozen=True)
class CohortPlot:
    measure: str
    src: str
    alt: str
    how: str


def _cutoff(changes: IndividualChanges) -> Cutoff | None:
    """A published cut-off is ``cutoff_value``; one from the norms is ``cutoff`` whose source
    starts with its type (a or c)."""
    if changes.cutoff is None:
        return None
    kind = CutoffType.PUBLISHED
    for p in changes.parameters:
        if p.name == "cutoff" and p.source[:2] in {"a ", "b ", "c "}:
            kind = CutoffType(p.source[0])
    return Cutoff(kind, changes.cutoff, "catalogue")


def as_result(pre: list[float], post: list[float], changes: IndividualChanges) -> ChangeResult:
    """The individual classification as the :class:`ChangeResult` the plot draws: the band
    of no reliable change is the catalogue's reliable amount either side of no change."""
    better = Better(str(changes.parameters[0].value))
    jt = changes.method == "jt"
    table = pd.DataFrame(
        {
            "pre": pre,
            "post": post,
            "change": [b - a for a, b in zip(pre, post, strict=True)],
            "category": [c.value for c in changes.categories],
            "included": True,
        }
    )
    parameters = changes.parameters
    if not jt:  # the plot draws the anchor band from the "mid" parameter
        parameters = (*parameters, Parameter("mid", changes.reliable_amount, "catalogue"))
    return ChangeResult(
        participants=table,
        n_total=len(table),
        n_included=len(table),
        # jacobson_plot draws the published amount's band only for the anchor approach; the
        # colours are the categories given, whatever the approach.
        approach=(
            Approach.ANCHOR
            if not jt
            else Approach.COMBINED
            if changes.cutoff is not None
            else Approach.DISTRIBUTION
        ),
        method=RCMethod.JT if jt else None,
        better=better,
        pre_label="first answer",
        post_label="latest answer",
        timepoints_defaulted=False,
        cutoff=_cutoff(changes),
        parameters=parameters,
        # jacobson_plot draws s_diff x 1.96 either side; the reliable amount is exactly that.
        constants={"s_diff": changes.reliable_amount / 1.96} if jt else {},
    )


def _plot(
    instrument: Instrument, scale: Scale, pre: list[float], post: list[float], c: IndividualChanges
) -> CohortPlot:
    measure = instrument.short_name or instrument.name
    result = as_result(pre, post, c)
    svg = jacobson_plot(result, title=f"{measure}: first and latest answer, n = {len(pre)}")
    counts = ", ".join(f"{category} {n}" for category, n in result.counts().items() if n)
    return CohortPlot(
        measure=measure,
        src="data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii"),
        alt=f"{measure}: each person's first score against their latest, coloured by change "
        f"category ({counts}); the same as the change column of the participants table.",
        how=(
            f"a reliable change is more than {format_score(scale, c.reliable_amount)} points"
            if c.method == "jt"
            else f"a reliable change is {format_score(scale, c.reliable_amount)} points or more"
        )
        + ("" if c.cutoff is None else f"; clinical range from {format_score(scale, c.cutoff)}"),
    )


def jacobson_plots(changes: CohortChanges) -> list[CohortPlot]:
    """One plot per scale judged on the cohort page (people with two answers or more)."""
    return [_plot(*judged) for judged in changes.judged]
