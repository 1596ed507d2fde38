"""Published outcome definitions beside the reliable change categories: NHS Talking Therapies
(PHQ-9 with GAD-7) and the IMMPACT thresholds for pain intensity and interference.

Every classification is :mod:`balm.change`'s (:func:`balm.change.talking_therapies`,
:func:`balm.change.immpact_change`); this module picks the columns and lays out the results.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from balm.change import ChangeInputError, immpact_change, immpact_domain_for, talking_therapies
from balm.change.immpact import IMMPACT_CATEGORIES
from balm.change.talking_therapies import TT_CATEGORIES
from balm.report.inputs import ReportOptions
from balm.report.model import OutcomeReport, Table

TT_RATES = ("reliable_recovery", "recovery", "reliable_improvement", "reliable_deterioration")


def _pct(share: float | None) -> float | None:
    return None if share is None else 100.0 * share


def _talking_therapies(
    scores: pd.DataFrame, options: ReportOptions, phq9: str, gad7: str
) -> dict[str, Any]:
    """NHS Talking Therapies outcomes (summary as ``balm change --json`` gives it)."""
    try:
        result = talking_therapies(
            scores, id=options.id, time=options.time, phq9=phq9, gad7=gad7,
            pre=options.pre, post=options.post,
        )  # fmt: skip
    except ChangeInputError as error:
        return {"approach": "talking-therapies", "not_computed": str(error)}
    return {**result.summary_dict(), "notes": list(result.notes)}


def _immpact(
    scores: pd.DataFrame, options: ReportOptions, o: OutcomeReport, domain: str
) -> dict[str, Any]:
    try:
        result = immpact_change(
            scores, id=options.id, time=options.time, outcome=o.column, domain=domain,
            pre=options.pre, post=options.post,
        )  # fmt: skip
    except ChangeInputError as error:
        return {"approach": "immpact", "domain": domain, "not_computed": str(error)}
    return {**result.summary_dict(), "notes": list(result.notes)}


def with_clinical(
    scores: pd.DataFrame, options: ReportOptions, outcomes: list[OutcomeReport]
) -> tuple[list[OutcomeReport], list[Table]]:
    """Outcomes with ``clinical_approaches`` filled, and the tables that show them.

    Talking Therapies when both ``phq9_total`` and ``gad7_total`` are outcomes (put on
    both); IMMPACT on every outcome whose catalogue scale an IMMPACT domain applies to.
    """
    columns = {o.column for o in outcomes}
    tt: dict[str, Any] | None = None
    if {"phq9_total", "gad7_total"} <= columns:
        tt = _talking_therapies(scores, options, "phq9_total", "gad7_total")
    out: list[OutcomeReport] = []
    immpact_rows = []
    params = []
    for o in outcomes:
        approaches: dict[str, Any] = {}
        if tt is not None and o.column in ("phq9_total", "gad7_total"):
            approaches["talking_therapies"] = tt
        domain = immpact_domain_for(o.instrument, o.scale)
        if domain is not None:
            summary = _immpact(scores, options, o, domain)
            approaches["immpact"] = summary
            counts = summary.get("categories", {})
            immpact_rows.append(
                (
                    o.column,
                    domain,
                    summary.get("n_included"),
                    summary.get("n_zero_baseline"),
                    *(counts.get(c) for c in IMMPACT_CATEGORIES),
                )
            )
            params += [
                (o.column, p["name"], p["value"], p["source"])
                for p in summary.get("parameters", [])
            ]
        out.append(replace(o, clinical_approaches=approaches))
    tables = []
    if tt is not None:
        counts = tt.get("categories", {})
        rates = tt.get("rates", {})
        tables.append(
            Table(
                "talking_therapies",
                "NHS Talking Therapies outcomes from PHQ-9 and GAD-7 together: people per "
                "category (first that applies); recovery rates are over those above caseness at "
                f"{options.pre}, improvement and deterioration rates over everyone analysed",
                ("category", "n", "rate %"),
                (
                    *((c, counts.get(c), None) for c in TT_CATEGORIES),
                    ("analysed (both measures at both times)", tt.get("n_included"), None),
                    (f"above caseness at {options.pre}", tt.get("n_cases_pre"), None),
                    *((f"{c.replace('_', ' ')} rate", None, _pct(rates.get(c))) for c in TT_RATES),
                ),
            )
        )
        params += [
            ("phq9_total + gad7_total", p["name"], p["value"], p["source"])
            for p in tt.get("parameters", [])
        ]
    if immpact_rows:
        tables.append(
            Table(
                "immpact",
                "IMMPACT thresholds of clinically important change in pain (Dworkin et al. "
                "2008): people per category",
                ("score", "domain", "n", "zero baseline (left out)", *IMMPACT_CATEGORIES),
                tuple(immpact_rows),
            )
        )
    if params:
        tables.append(
            Table(
                "clinical_parameters",
                "Every threshold the Talking Therapies and IMMPACT classifications used, with "
                "its source",
                ("score", "parameter", "value", "source"),
                tuple(params),
            )
        )
    return out, tables
