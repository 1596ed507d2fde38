"""Tidy exports for researchers: one row per course of treatment per timepoint (or per week).

The frames are what ``balm change`` and ``balm trend`` read as they are: an id column, a time
column (``timepoint`` or the numeric ``week``) and one numeric column per instrument scale
(``phq9_total``, ``dass21_depression`` ...).

The id column is ``enrolment``: one person's course of treatment in one cohort, written as the
pseudonym and the cohort's number, ``<pseudonym>-c<cohort id>`` (``P07-c12``). A person who
took part in two cohorts at a site has two courses, each with its own pre and post scores, so a
site export gives ``balm change --id enrolment`` (or R's clinicalsignificance with
``id = enrolment``) one row per course, as a change analysis expects. ``participant`` (the
pseudonym) is kept beside it, for analyses of people rather than courses (for instance a course
nested in its person); with ``--id participant`` a site export of a person in two cohorts is
ambiguous, and ``balm change`` refuses it. Within one cohort the two columns identify the same
rows.

Columns: ``enrolment``, ``participant`` (pseudonym), ``cohort`` (its name), ``site`` (short
name), ``format``, ``diagnosis`` (category code), ``timepoint`` (baseline, mid, end, follow_up;
scores only), ``week``, then ``<instrument>_<scale>`` (and ``<instrument>_<scale>_band`` when
asked) or, for check-ins, ``checkin_<scale>`` and ``practice_type``.

Only fields the export policy (:mod:`balm.audit.export_policy`) keeps are exported: the
pseudonym, never a name or e-mail; no free text. Scores are the stored engine scores; nothing
is computed here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from balm.programmes.templates import Timepoint

ID_COLUMNS = (
    "enrolment",
    "participant",
    "cohort",
    "site",
    "format",
    "diagnosis",
    "timepoint",
    "week",
)
CHECKIN_ID_COLUMNS = ("enrolment", "participant", "cohort", "site", "format", "diagnosis", "week")
TIMEPOINT_ORDER = {value: rank for rank, value in enumerate(Timepoint.values)}

#: The model field behind every exported column; a test checks each is ``keep`` in
#: :data:`balm.audit.export_policy.EXPORT_POLICY`, so nothing identifying or free text leaks.
SOURCE_FIELDS: dict[str, tuple[str, str]] = {
    "participant": ("accounts.participant", "pseudonym"),
    "cohort": ("programmes.cohort", "name"),
    "site": ("accounts.site", "slug"),
    "format": ("programmes.enrolment", "format"),
    "diagnosis": ("programmes.enrolment", "diagnosis_category"),
    "timepoint": ("outcomes.assessment", "timepoint"),
    "week": ("outcomes.assessment", "week"),
    "<instrument>_<scale>": ("outcomes.response", "scores"),
    "checkin week": ("outcomes.checkin", "week"),
    "checkin_<scale>": ("outcomes.checkin", "scores"),
    "practice_type": ("outcomes.checkin", "practice_type"),
}

#: Columns written from several fields (each ``keep`` in the export policy too).
COMPOSED_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "enrolment": (("accounts.participant", "pseudonym"), ("programmes.cohort", "id")),
}


def enrolment_id(pseudonym: str, cohort_id: int) -> str:
    """The ``enrolment`` column: one person's course in one cohort (``P07-c12``). Unique:
    a pseudonym is unique at its site and a cohort belongs to one site."""
    return f"{pseudonym}-c{cohort_id}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def score_columns(
    instrument_id: str, scores: dict[str, Any], *, bands: bool = False
) -> dict[str, Any]:
    """``{"<instrument>_<scale>": value}`` for the numeric scores (and ``*_band`` text when
    ``bands``). Pure."""
    out: dict[str, Any] = {}
    for key, value in scores.items():
        if _is_number(value) or (bands and key.endswith("_band") and isinstance(value, str)):
            out[f"{instrument_id}_{key}"] = value
    return out


def tidy_scores(rows: Iterable[dict[str, Any]], *, bands: bool = False) -> pd.DataFrame:
    """The long frame from plain rows, one per response (pure, no database).

    Each row has the :data:`ID_COLUMNS`, ``instrument`` and ``scores``. Rows of the same
    enrolment and timepoint are merged into one; the week of a timepoint is the earliest
    scheduled week of its instruments. Sorted by cohort, participant, enrolment and timepoint.
    """
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = (row["enrolment"], row["timepoint"])
        record = merged.setdefault(key, {column: row[column] for column in ID_COLUMNS})
        record["week"] = min(record["week"], row["week"])
        record.update(score_columns(row["instrument"], row["scores"], bands=bands))
    frame = pd.DataFrame(list(merged.values()))
    if frame.empty:
        return pd.DataFrame(columns=list(ID_COLUMNS))
    measures = sorted(c for c in frame.columns if c not in ID_COLUMNS)
    frame["_order"] = frame["timepoint"].map(TIMEPOINT_ORDER).fillna(len(TIMEPOINT_ORDER))
    frame = frame.sort_values(
        ["cohort", "participant", "enrolment", "_order", "week"], kind="stable"
    )
    frame = frame[[*ID_COLUMNS, *measures]].reset_index(drop=True)
    frame["week"] = frame["week"].astype("int64")
    return frame


def scores_frame(enrolments: Any, *, bands: bool = False) -> pd.DataFrame:
    """The tidy scores of a queryset of enrolments (pseudonyms only), one row per enrolment
    per timepoint with a response."""
    from balm.outcomes.models import Response

    responses = Response.objects.filter(assessment__enrolment__in=enrolments).values_list(
        "assessment__enrolment__participant__pseudonym",
        "assessment__enrolment__cohort_id",
        "assessment__enrolment__cohort__name",
        "assessment__enrolment__cohort__site__slug",
        "assessment__enrolment__format",
        "assessment__enrolment__diagnosis_category",
        "assessment__timepoint",
        "assessment__week",
        "instrument_id",
        "scores",
    )
    rows = (
        dict(
            zip(
                (*ID_COLUMNS, "instrument", "scores"),
                (enrolment_id(pseudonym, cohort_id), pseudonym, *rest),
                strict=True,
            )
        )
        for pseudonym, cohort_id, *rest in responses
    )
    return tidy_scores(rows, bands=bands)


def checkins_frame(enrolments: Any) -> pd.DataFrame:
    """The weekly check-ins of a queryset of enrolments, one row per enrolment per week:
    the numeric check-in scales as ``checkin_<scale>`` and the practice type (a code).
    The participant's free-text note and answers are never exported."""
    from balm.outcomes.models import CheckIn

    checkins = CheckIn.objects.filter(enrolment__in=enrolments).values_list(
        "enrolment__participant__pseudonym",
        "enrolment__cohort_id",
        "enrolment__cohort__name",
        "enrolment__cohort__site__slug",
        "enrolment__format",
        "enrolment__diagnosis_category",
        "week",
        "instrument_id",
        "scores",
        "practice_type",
    )
    records = []
    for pseudonym, cohort_id, *ids, instrument_id, scores, practice_type in checkins:
        record = dict(
            zip(
                CHECKIN_ID_COLUMNS,
                (enrolment_id(pseudonym, cohort_id), pseudonym, *ids),
                strict=True,
            )
        )
        record.update(score_columns(instrument_id, scores))
        record["practice_type"] = practice_type
        records.append(record)
    if not records:
        return pd.DataFrame(columns=[*CHECKIN_ID_COLUMNS, "practice_type"])
    frame = pd.DataFrame(records)
    measures = sorted(c for c in frame.columns if c not in (*CHECKIN_ID_COLUMNS, "practice_type"))
    frame = frame.sort_values(["cohort", "participant", "enrolment", "week"], kind="stable")
    return frame[[*CHECKIN_ID_COLUMNS, *measures, "practice_type"]].reset_index(drop=True)
