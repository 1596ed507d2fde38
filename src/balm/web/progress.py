"""'My progress': a participant's own check-in and questionnaire scores over the weeks.

Scores are the ones ``balm.instruments`` gave when each answer was sent (stored on the
record); this module only lays them out. The chart is plain inline SVG (``role="img"`` with a
title and description) followed by the same numbers as a table. There are no streaks and no
marks for missed weeks: a week without a check-in is simply absent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from balm.accounts.models import Participant
from balm.instruments import get_instrument
from balm.instruments.schema import Direction, Scale
from balm.outcomes.models import CheckIn, Response
from balm.programmes.models import Enrolment
from balm.programmes.templates import PARTICIPANT_TIMEPOINT
from balm.web.participant_session import current_participant

# Drawn for a phone: a narrow viewBox keeps 14-unit text near 14 px on a 390 px screen.
WIDTH, HEIGHT = 400, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 32, 16, 56
# Calm, distinguishable colours (no red), each with its own dash pattern and marker.
STYLES = (
    ("#2f5d7c", ""),
    ("#1f6b3a", "6 4"),
    ("#6a4c93", "2 4"),
    ("#8a6d1f", "10 4 2 4"),
    ("#3d7f86", "1 3"),
)
TIMEPOINT_WORDS = PARTICIPANT_TIMEPOINT


def plain_name(scale: Scale) -> str:
    """The scale's name without the scoring notes the catalogue gives staff: 'Depression (sum
    x 2, 0-42)' is 'Depression', 'Pain willingness, items reverse-scored (...)' is 'Pain
    willingness'."""
    return scale.name.split(" (")[0].split(",")[0].strip()


def plain_label(scale: Scale) -> str:
    """'Mood (higher is better)', 'Depression (lower is better)': no formulas or ranges."""
    better = "higher" if scale.direction is Direction.HIGHER_BETTER else "lower"
    return f"{plain_name(scale)} ({better} is better)"


def plainly_named(scales: list[Scale]) -> list[Scale]:
    """One scale per plain name: where two share one (SWEMWBS's raw total and its metric
    score are both 'Mental wellbeing'), the later one, the score the catalogue reports."""
    kept: dict[str, Scale] = {}
    for scale in scales:
        kept[plain_name(scale)] = scale
    chosen = set(map(id, kept.values()))
    return [scale for scale in scales if id(scale) in chosen]


# Each line's points get their own shape as well as colour and dash, so lines are told apart
# without colour (WCAG 1.4.1); the legend shows the same shape.
MARKERS = ("circle", "square", "triangle", "diamond", "cross")


def marker_path(shape: str, x: float, y: float, r: float = 5.5) -> str:
    """An SVG path for a point marker of ``shape`` centred on (x, y)."""
    if shape == "square":
        return f"M{x - r:.1f},{y - r:.1f}h{2 * r:.1f}v{2 * r:.1f}h{-2 * r:.1f}Z"
    if shape == "triangle":
        return f"M{x:.1f},{y - r:.1f}L{x + r:.1f},{y + r:.1f}L{x - r:.1f},{y + r:.1f}Z"
    if shape == "diamond":
        return f"M{x:.1f},{y - r:.1f}L{x + r:.1f},{y:.1f}L{x:.1f},{y + r:.1f}L{x - r:.1f},{y:.1f}Z"
    if shape == "cross":
        w = r / 2.5
        return (
            f"M{x - w:.1f},{y - r:.1f}h{2 * w:.1f}v{r - w:.1f}h{r - w:.1f}v{2 * w:.1f}"
            f"h{w - r:.1f}v{r - w:.1f}h{-2 * w:.1f}v{w - r:.1f}h{w - r:.1f}v{-2 * w:.1f}"
            f"h{r - w:.1f}Z"
        )
    arc = f"a{r:.1f},{r:.1f} 0 1,0"
    return f"M{x - r:.1f},{y:.1f}{arc} {2 * r:.1f},0{arc} {-2 * r:.1f},0"


@dataclass
class Point:
    x: float
    y: float
    value: float
    when: str


@dataclass
class Line:
    label: str
    colour: str
    dash: str
    marker: str = "circle"
    points: list[Point] = field(default_factory=list)

    @property
    def markers(self) -> list[str]:
        return [marker_path(self.marker, p.x, p.y) for p in self.points]

    @property
    def legend_marker(self) -> str:
        return marker_path(self.marker, 18, 8, 4.5)

    @property
    def path(self) -> str:
        return " ".join(
            f"{'M' if i == 0 else 'L'}{p.x:.1f},{p.y:.1f}" for i, p in enumerate(self.points)
        )


@dataclass
class Chart:
    """Geometry of one line chart; the template draws it."""

    key: str
    title: str
    description: str
    x_labels: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    lines: list[Line]
    x_title: str = ""
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    top: int = TOP
    bottom_edge: int = HEIGHT - BOTTOM


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _fmt(value: float) -> str:
    return f"{value:g}"


def line_chart(
    *,
    key: str,
    title: str,
    positions: list[tuple[float, str]],
    series: list[tuple[str, dict[str, float]]],
    minimum: float,
    maximum: float,
    ticks: list[tuple[float, str]] | None = None,
    x_title: str = "",
) -> Chart:
    """``positions`` are ``(x, name)`` of the answered points (x: a week, or 0, 1, 2 ...);
    ``series`` is ``[(label, {name: value})]``; ``ticks`` label the x axis (default: the
    positions' names). A position without a value is simply left out of its line."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span = (maximum - minimum) or 1.0
    axis = ticks if ticks is not None else positions
    low = min(x for x, _ in axis)
    high = max(x for x, _ in axis)

    def x_at(x: float) -> float:
        return LEFT + (plot_w / 2 if high == low else plot_w * (x - low) / (high - low))

    def y_at(value: float) -> float:
        return TOP + plot_h * (1 - (value - minimum) / span)

    lines = []
    summary = []
    for n, (label, values) in enumerate(series):
        colour, dash = STYLES[n % len(STYLES)]
        line = Line(label=label, colour=colour, dash=dash, marker=MARKERS[n % len(MARKERS)])
        for x, name in positions:
            if name in values:
                line.points.append(Point(x_at(x), y_at(values[name]), values[name], name))
        if line.points:
            lines.append(line)
            first, last = line.points[0], line.points[-1]
            said = f"{_fmt(first.value)} ({first.when})"
            if first is not last:
                said += f" to {_fmt(last.value)} ({last.when})"
            summary.append(f"{label}: {said}")
    middle = (minimum + maximum) / 2
    if maximum - minimum >= 4:
        middle = float(round(middle))
    return Chart(
        key=key,
        title=title,
        description=(
            f"A line chart from {_fmt(minimum)} to {_fmt(maximum)}. " + "; ".join(summary) + "."
        ),
        x_labels=[(x_at(x), name) for x, name in axis],
        y_ticks=[(y_at(v), _fmt(v)) for v in (minimum, middle, maximum)],
        lines=lines,
        x_title=x_title,
    )


def checkin_section(enrolment: Enrolment) -> dict | None:
    checkins = list(CheckIn.objects.filter(enrolment=enrolment).order_by("week"))
    if not checkins:
        return None
    instrument = get_instrument(checkins[-1].instrument_id)
    scales = list(instrument.scales)
    positions = [(float(c.week), f"Week {c.week}") for c in checkins]
    weeks = max(enrolment.cohort.template.weeks, checkins[-1].week)
    ticks = [(float(week), str(week)) for week in range(1, weeks + 1)]
    values = {
        scale.id: {
            f"Week {c.week}": v
            for c in checkins
            if (v := _number(c.scores.get(scale.id))) is not None
        }
        for scale in scales
    }
    charts = []
    groups = (
        ("feeling", "How you have been feeling", Direction.HIGHER_BETTER),
        ("pain", "Your pain", Direction.HIGHER_WORSE),
    )
    for key, title, direction in groups:
        chosen = [s for s in scales if s.direction is direction and s.maximum <= 10]
        if chosen and any(values[s.id] for s in chosen):
            charts.append(
                line_chart(
                    key=f"{key}-{enrolment.pk}",
                    title=title,
                    positions=positions,
                    ticks=ticks,
                    x_title="Week of the programme",
                    series=[(plain_label(s), values[s.id]) for s in chosen],
                    minimum=min(s.minimum for s in chosen),
                    maximum=max(s.maximum for s in chosen),
                )
            )
    table = {
        "caption": "Your weekly check-ins as numbers",
        "first": "Week",
        "columns": [plain_label(s) for s in scales],
        "rows": [(name, [values[s.id].get(name) for s in scales]) for _, name in positions],
    }
    return {"heading": "Your weekly check-ins", "charts": charts, "table": table}


def questionnaire_sections(enrolment: Enrolment) -> list[dict]:
    responses = (
        Response.objects.filter(assessment__enrolment=enrolment)
        .select_related("assessment")
        .order_by("assessment__week", "instrument_id")
    )
    by_instrument: dict[str, list[Response]] = {}
    for response in responses:
        by_instrument.setdefault(response.instrument_id, []).append(response)
    sections = []
    for instrument_id, answered in by_instrument.items():
        instrument = get_instrument(instrument_id)
        positions = [
            (float(i), TIMEPOINT_WORDS.get(r.assessment.timepoint, r.assessment.timepoint))
            for i, r in enumerate(answered)
        ]
        scales = [
            s
            for s in plainly_named(list(instrument.scales))
            if any(_number(r.scores.get(s.id)) is not None for r in answered)
        ]
        if not scales:
            continue
        values = {
            s.id: {
                TIMEPOINT_WORDS.get(r.assessment.timepoint, r.assessment.timepoint): v
                for r in answered
                if (v := _number(r.scores.get(s.id))) is not None
            }
            for s in scales
        }
        chart = line_chart(
            key=f"{instrument_id}-{enrolment.pk}",
            title=instrument.name,
            positions=positions,
            series=[(plain_label(s), values[s.id]) for s in scales],
            minimum=min(s.minimum for s in scales),
            maximum=max(s.maximum for s in scales),
        )
        table = {
            "caption": f"{instrument.name} as numbers",
            "first": "When",
            "columns": [plain_label(s) for s in scales],
            "rows": [(p, [values[s.id].get(p) for s in scales]) for _, p in positions],
        }
        sections.append({"heading": instrument.name, "charts": [chart], "table": table})
    return sections


def progress_for(participant: Participant) -> list[dict]:
    """One block per enrolment that has anything to show."""
    blocks = []
    enrolments = (
        Enrolment.objects.filter(participant=participant)
        .select_related("cohort")
        .order_by("-cohort__start_date")
    )
    for enrolment in enrolments:
        checkins = checkin_section(enrolment)
        sections = ([checkins] if checkins else []) + questionnaire_sections(enrolment)
        if sections:
            blocks.append({"enrolment": enrolment, "sections": sections})
    return blocks


@require_GET
def my_progress(request: HttpRequest) -> HttpResponse:
    participant = current_participant(request)
    if participant is None:
        raise Http404("Open your personal link again, or ask your group facilitator for a new one.")
    return render(
        request,
        "balm/progress.html",
        {"participant": participant, "blocks": progress_for(participant)},
    )
