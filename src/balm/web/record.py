"""The participant record a facilitator reads before a session: what it shows, laid out.

Scores are the stored engine scores; the change since baseline is
:func:`balm.change.individual_change` with the catalogue's numbers (never computed here).
Numbers are shown at the precision a clinician reads (:func:`format_score`), measures by
name and bands by their label in words.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from balm.change import Category, IndividualChanges, individual_changes
from balm.instruments import UnknownInstrumentError, get_instrument
from balm.instruments.schema import Direction, Instrument, Scale, ScaleMethod
from balm.outcomes.models import CheckIn, Response, ResponseAmendment
from balm.programmes.models import Attendance, AttendanceMark, Enrolment
from balm.programmes.templates import Timepoint
from balm.web.progress import Chart, line_chart, plain_name

#: Change categories in words, with a class for their badge.
CATEGORY_WORDS = {
    Category.RECOVERED: "Recovered",
    Category.IMPROVED: "Reliably improved",
    Category.UNCHANGED: "No reliable change",
    Category.DETERIORATED: "Reliably worse",
    Category.HARMED: "Reliably worse, into the clinical range",
}
TIMEPOINT_ORDER = {value: n for n, value in enumerate(Timepoint.values)}


def band_words(label: object) -> str:
    """``moderately_severe`` -> ``Moderately severe``."""
    if not isinstance(label, str) or not label:
        return ""
    return label.replace("_", " ").capitalize()


def number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def format_score(scale: Scale, value: float) -> str:
    """Sums print as whole numbers (a prorated sum keeps one decimal); means keep two."""
    if scale.method is ScaleMethod.MEAN:
        return f"{value:.2f}"
    if float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.1f}"


@dataclass
class ChangeShown:
    category: str
    words: str
    how: str

    @classmethod
    def of(cls, changes: IndividualChanges, n: int, scale: Scale) -> ChangeShown:
        """The ``n``-th pair of ``changes``, in words."""
        category = changes.categories[n]
        amount = format_score(scale, changes.reliable_amount)
        if changes.method == "jt":
            how = f"reliable change index (Jacobson & Truax): a change of more than {amount}"
        else:
            how = f"the published reliable change: a change of {amount} or more"
        if changes.cutoff is not None:
            how += f"; clinical range from {format_score(scale, changes.cutoff)}"
        return cls(category.value, CATEGORY_WORDS[category], how)


@dataclass
class ScoreRow:
    timepoint: str
    label: str
    answered_on: Any
    value: float
    score: str
    band: str
    change: ChangeShown | None
    response_id: int


@dataclass
class ScaleRecord:
    scale: Scale
    better: str
    rows: list[ScoreRow] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The scale's name without the catalogue's range and scoring notes, which the page
        gives once, beside it."""
        return plain_name(self.scale)

    @property
    def latest_change(self) -> ChangeShown | None:
        for row in reversed(self.rows):
            if row.change is not None:
                return row.change
        return None


@dataclass
class MeasureRecord:
    instrument: Instrument
    scales: list[ScaleRecord]
    chart: Chart | None


def _instrument(instrument_id: str) -> Instrument | None:
    try:
        return get_instrument(instrument_id)
    except UnknownInstrumentError:
        return None


def _by_instrument(responses: list[Response]) -> dict[str, list[Response]]:
    grouped: dict[str, list[Response]] = defaultdict(list)
    for response in sorted(
        responses, key=lambda r: (TIMEPOINT_ORDER.get(r.assessment.timepoint, 99), r.pk)
    ):
        grouped[response.instrument_id].append(response)
    return grouped


def scale_record(
    instrument: Instrument, scale: Scale, answered: list[Response], *, judge: bool = True
) -> ScaleRecord:
    """A scale's score at each timepoint, its band, and (``judge``) its change since the first
    one, all timepoints in one call of the core."""
    better = "higher" if scale.direction is Direction.HIGHER_BETTER else "lower"
    record = ScaleRecord(scale=scale, better=better)
    for response in answered:
        value = number(response.scores.get(scale.id))
        if value is None:
            continue
        timepoint = response.assessment.timepoint
        record.rows.append(
            ScoreRow(
                timepoint=timepoint,
                label=Timepoint(timepoint).label if timepoint in Timepoint.values else timepoint,
                answered_on=response.created_at,
                value=value,
                score=format_score(scale, value),
                band=band_words(response.scores.get(f"{scale.id}_band")),
                change=None,
                response_id=response.pk,
            )
        )
    if judge and len(record.rows) > 1:
        first, later = record.rows[0], record.rows[1:]
        found = individual_changes(
            [first.value] * len(later),
            [r.value for r in later],
            instrument=instrument.id,
            scale=scale.id,
        )
        if found is not None:
            for n, row in enumerate(later):
                row.change = ChangeShown.of(found, n, scale)
    return record


def measures(enrolment: Enrolment) -> list[MeasureRecord]:
    """Each questionnaire answered in this enrolment, in catalogue order of scales."""
    responses = list(
        Response.objects.filter(assessment__enrolment=enrolment).select_related("assessment")
    )
    out = []
    for instrument_id, answered in sorted(_by_instrument(responses).items()):
        instrument = _instrument(instrument_id)
        if instrument is None:
            continue
        scales = [scale_record(instrument, s, answered) for s in instrument.scales]
        scales = [s for s in scales if s.rows]
        if not scales:
            continue
        positions = [(float(i), r.label) for i, r in enumerate(scales[0].rows)]
        chart = None
        if len(positions) > 1:
            chart = line_chart(
                key=f"m-{instrument_id}",
                title=instrument.name,
                positions=positions,
                series=[
                    (
                        f"{s.name} ({s.better} is better)",
                        {r.label: r.value for r in s.rows},
                    )
                    for s in scales
                ],
                minimum=min(s.scale.minimum for s in scales),
                maximum=max(s.scale.maximum for s in scales),
            )
        out.append(MeasureRecord(instrument=instrument, scales=scales, chart=chart))
    return out


def _signed(scale: Scale, value: float) -> str:
    """A change with its sign (a minus sign, not a hyphen), at the scale's precision."""
    text = format_score(scale, abs(value))
    if float(text) == 0:
        return text
    return ("+" if value > 0 else "\u2212") + text


@dataclass
class CohortChanges:
    """The cohort page's change column and plots: per enrolment, each measure's main scale
    (latest score, band, change since the first answer and its category); per judged scale,
    the classification of everyone with two answers, for the Jacobson plot."""

    rows: dict[int, list[dict[str, str]]]
    judged: list[tuple[Instrument, Scale, list[float], list[float], IndividualChanges]]


def latest_changes(enrolment_ids: list[int]) -> dict[int, list[dict[str, str]]]:
    """For the cohort page: per enrolment, each measure's main scale (``total`` where the
    instrument has one) with its latest score and band, and the change from the first answer
    to the latest, one call of the core per scale for the whole cohort."""
    return cohort_changes(enrolment_ids).rows


def cohort_changes(enrolment_ids: list[int]) -> CohortChanges:
    """:func:`latest_changes` with the classification of each judged scale kept."""
    responses = (
        Response.objects.filter(assessment__enrolment_id__in=enrolment_ids)
        .select_related("assessment")
        .order_by("assessment__enrolment_id")
    )
    grouped: dict[int, list[Response]] = defaultdict(list)
    for response in responses:
        grouped[response.assessment.enrolment_id].append(response)
    out: dict[int, list[dict[str, str]]] = {}
    to_judge: dict[tuple[str, str], list[tuple[dict[str, str], float, float]]] = defaultdict(list)
    scales: dict[tuple[str, str], tuple[Instrument, Scale]] = {}
    for enrolment_id, mine in grouped.items():
        shown = []
        for instrument_id, answered in sorted(_by_instrument(mine).items()):
            instrument = _instrument(instrument_id)
            if instrument is None or instrument.id == "checkin":
                continue
            ids = [s.id for s in instrument.scales]
            scale = instrument.scale("total") if "total" in ids else instrument.scales[0]
            record = scale_record(instrument, scale, answered, judge=False)
            if not record.rows:
                continue
            first, last = record.rows[0], record.rows[-1]
            row = {
                "measure": instrument.short_name or instrument.name,
                "first": first.score,
                "score": last.score,
                "change": _signed(scale, last.value - first.value),
                "band": last.band,
                "category": "",
                "words": "Baseline only" if len(record.rows) == 1 else "Not judged",
            }
            shown.append(row)
            if len(record.rows) > 1:
                key = (instrument.id, scale.id)
                scales[key] = (instrument, scale)
                to_judge[key].append((row, first.value, last.value))
        out[enrolment_id] = shown
    judged = []
    for (instrument_id, scale_id), pairs in sorted(to_judge.items()):
        pre = [p for _, p, _ in pairs]
        post = [p for _, _, p in pairs]
        found = individual_changes(pre, post, instrument=instrument_id, scale=scale_id)
        if found is None:
            continue
        instrument, scale = scales[(instrument_id, scale_id)]
        judged.append((instrument, scale, pre, post, found))
        for n, (row, _, _) in enumerate(pairs):
            shown_change = ChangeShown.of(found, n, scale)
            row["category"], row["words"] = shown_change.category, shown_change.words
    return CohortChanges(out, judged)


# --- check-ins ------------------------------------------------------------------------


@dataclass
class CheckInRecord:
    charts: list[Chart]
    columns: list[str]
    rows: list[dict[str, Any]]
    total_minutes: int


def checkins(enrolment: Enrolment, *, with_notes: bool) -> CheckInRecord | None:
    """The weekly check-ins as two small charts and a table (notes only ``with_notes``)."""
    found = list(CheckIn.objects.filter(enrolment=enrolment).order_by("week"))
    if not found:
        return None
    instrument = get_instrument(found[-1].instrument_id)
    scales = [s for s in instrument.scales if s.maximum <= 10]
    positions = [(float(c.week), f"Week {c.week}") for c in found]
    weeks = max(enrolment.cohort.template.weeks, found[-1].week)
    ticks = [(float(w), str(w)) for w in range(1, weeks + 1)]
    values = {
        s.id: {f"Week {c.week}": v for c in found if (v := number(c.scores.get(s.id))) is not None}
        for s in scales
    }
    charts = []
    for key, title, direction in (
        ("feeling", "Mood, outlook, acceptance and comfort (higher is better)", "higher_better"),
        ("pain", "Pain intensity (lower is better)", "higher_worse"),
    ):
        chosen = [s for s in scales if s.direction.value == direction and values[s.id]]
        if chosen:
            charts.append(
                line_chart(
                    key=f"c-{key}",
                    title=title,
                    positions=positions,
                    ticks=ticks,
                    x_title="Week of the programme",
                    series=[(s.name, values[s.id]) for s in chosen],
                    minimum=min(s.minimum for s in chosen),
                    maximum=max(s.maximum for s in chosen),
                )
            )
    rows = []
    total = 0
    for c in found:
        minutes = number(c.scores.get("practice_minutes"))
        total += int(minutes or 0)
        rows.append(
            {
                "week": c.week,
                "values": [_cell(values[s.id].get(f"Week {c.week}")) for s in scales],
                "minutes": "" if minutes is None else f"{minutes:.0f}",
                "practice": c.get_practice_type_display()
                if c.practice_type != "none"
                else str(c.answers.get("q7") or ""),
                "note": c.note if with_notes else "",
                "when": c.created_at,
            }
        )
    return CheckInRecord(
        charts=charts, columns=[s.name for s in scales], rows=rows, total_minutes=total
    )


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


# --- attendance and amendments ----------------------------------------------------------


def attendance(enrolment: Enrolment) -> tuple[list[dict[str, Any]], int]:
    """Every session of the cohort with this person's mark; and the sessions attended."""
    marks = dict(Attendance.objects.filter(enrolment=enrolment).values_list("session_id", "mark"))
    rows = []
    for session in enrolment.cohort.sessions.select_related("plan").order_by("number"):
        mark = marks.get(session.pk, "")
        rows.append({"session": session, "mark": mark, "label": _mark_words(mark)})
    return rows, sum(1 for r in rows if r["mark"] == AttendanceMark.PRESENT)


def _mark_words(mark: str) -> str:
    return AttendanceMark(mark).label if mark in AttendanceMark.values else ""


def amendments(enrolment: Enrolment) -> list[ResponseAmendment]:
    return list(
        ResponseAmendment.objects.filter(response__assessment__enrolment=enrolment)
        .select_related("response__assessment", "by")
        .order_by("-at")
    )


# --- safety alerts --------------------------------------------------------------------


@dataclass
class AlertItem:
    instrument: str
    wording: str
    is_concept: bool
    answer: str


def alert_item(instrument_id: str, item_id: str, value: float) -> AlertItem:
    """The item's wording (its concept where the licence keeps the wording out) and the label
    of the answer given (the number where the catalogue has no label for it)."""
    instrument = _instrument(instrument_id)
    shown = f"{value:g}"
    if instrument is None:
        return AlertItem(instrument_id, f"item {item_id}", True, shown)
    item = next((i for i in instrument.items if i.id == item_id), None)
    if item is None:
        return AlertItem(instrument.name, f"item {item_id}", True, shown)
    options = item.options or (
        instrument.response_sets.get(item.response_set) if item.response_set else None
    )
    label = next((o.label for o in options or () if o.value == value), None)
    return AlertItem(
        instrument=instrument.name,
        wording=item.text or item.concept,
        is_concept=item.text is None,
        answer=f"{label} ({shown})" if label else shown,
    )
