"""Reading programme templates from their data files and writing them to the database.

``read_template_file`` is pure (YAML in, checked dict out: every problem at once, schedule
instrument ids and the weekly check-in checked against the instrument catalogue) so the data
migration can use it with historical models; ``load_template`` writes with the current models.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from balm.accounts.errors import InvalidInput, Problem
from balm.programmes.schedule import unfit_checkin, unknown_instrument

DEFAULT_TEMPLATE = "cft-persistent-pain-12.yaml"
TIMEPOINTS = ("baseline", "mid", "end", "follow_up")


class TemplateFileError(InvalidInput, ValueError):
    """A template data file is malformed (found when it is read).

    An :class:`~balm.accounts.errors.InvalidInput`: ``problems`` lists every problem found,
    each a ``Problem(field, message)`` with the key of the file it concerns; ``str()`` starts
    with the file name.
    """

    def __init__(self, source: str, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.source = source
        self.args = (f"{source}: " + "; ".join(f"{p.field}: {p.message}" for p in self.problems),)


def data_path(name: str = DEFAULT_TEMPLATE) -> Path:
    return Path(str(resources.files("balm.programmes") / "data" / name))


def _schedule(raw: dict[str, Any], problems: list[Problem]) -> list[dict[str, Any]]:
    """The schedule entries of the ``measures`` list; every bad measure is a problem naming
    its entry number, instrument and weeks (and, for an unknown instrument, the allowed ids)."""
    weeks_of = raw["timepoints"] if isinstance(raw["timepoints"], dict) else {}
    measures = raw["measures"]
    if not isinstance(measures, list):
        problems.append(Problem("measures", "must be a list of {instrument, timepoints}"))
        return []
    schedule: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for number, measure in enumerate(measures, start=1):
        if not isinstance(measure, dict):
            problems.append(
                Problem("measures", f"entry {number} must be {{instrument, timepoints}}")
            )
            continue
        instrument = measure.get("instrument")
        timepoints = measure.get("timepoints")
        if not isinstance(timepoints, list) or not timepoints:
            problems.append(Problem("measures", f"entry {number} ({instrument}) has no timepoints"))
            timepoints = []
        at = ", ".join(f"{t} week {weeks_of[t]}" if t in weeks_of else str(t) for t in timepoints)
        where = f"entry {number} ({at})" if at else f"entry {number}"
        why_not = unknown_instrument(instrument)
        if why_not:
            problems.append(Problem("measures", f"{where}: {why_not}"))
        for timepoint in timepoints:
            if timepoint not in weeks_of:
                problems.append(
                    Problem(
                        "measures",
                        f"entry {number} ({instrument}): timepoint {timepoint} has no week",
                    )
                )
                continue
            if (str(instrument), timepoint) in seen:
                problems.append(
                    Problem(
                        "measures", f"entry {number}: {instrument} is already due at {timepoint}"
                    )
                )
                continue
            seen.add((str(instrument), timepoint))
            schedule.append(
                {
                    "instrument_id": instrument,
                    "timepoint": timepoint,
                    "week": int(weeks_of[timepoint]),
                }
            )
    return schedule


def read_template_file(path: Path) -> dict[str, Any]:
    """Read and check a template file; every problem is reported together
    (:class:`TemplateFileError`), so nothing is written from a bad file."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise TemplateFileError(path.name, [Problem("", "expected a mapping of keys")])
    problems: list[Problem] = []
    for key in ("slug", "name", "weeks", "timepoints", "measures", "sessions"):
        if key not in raw:
            problems.append(Problem(key, f"missing {key}"))
    if problems:
        raise TemplateFileError(path.name, problems)
    weeks = int(raw["weeks"])
    numbers = [int(s["number"]) for s in raw["sessions"]]
    if numbers != list(range(1, weeks + 1)):
        problems.append(Problem("sessions", f"sessions must be numbered 1..{weeks} in order"))
    for session in raw["sessions"]:
        for key in ("title", "aims", "exercise", "home_practice"):
            if not str(session.get(key, "")).strip():
                problems.append(
                    Problem("sessions", f"session {session.get('number')} has no {key}")
                )
    unknown = set(raw["timepoints"]) - set(TIMEPOINTS)
    if unknown:
        problems.append(
            Problem(
                "timepoints",
                f"unknown timepoints {sorted(unknown)}; allowed: {', '.join(TIMEPOINTS)}",
            )
        )
    schedule = _schedule(raw, problems)
    checkin = raw.get("checkin_instrument")
    checkin = "" if checkin is None else checkin.strip() if isinstance(checkin, str) else checkin
    why_not = unfit_checkin(checkin)
    if why_not:
        problems.append(Problem("checkin_instrument", why_not))
    if problems:
        raise TemplateFileError(path.name, problems)
    return {
        "slug": raw["slug"],
        "name": raw["name"],
        "version": str(raw.get("version", "1")),
        "weeks": weeks,
        "checkin_instrument": checkin,
        "description": str(raw.get("description", "")).strip(),
        "sessions": [
            {
                "number": int(s["number"]),
                "title": str(s["title"]).strip(),
                "aims": str(s["aims"]).strip(),
                "exercise": str(s["exercise"]).strip(),
                "home_practice": str(s["home_practice"]).strip(),
            }
            for s in raw["sessions"]
        ],
        "schedule": schedule,
        "source": path.name,
    }


def write_template(
    data: dict[str, Any],
    *,
    template_model: Any,
    plan_model: Any,
    entry_model: Any,
    replace: bool = False,
) -> tuple[Any, bool]:
    """Create the template (or, with ``replace``, overwrite an existing one of that slug).

    Returns ``(template, written)``; an existing template is left alone without ``replace`` so
    administrators' edits survive a re-run. Works with historical or current models.
    """
    existing = template_model.objects.filter(slug=data["slug"]).first()
    if existing is not None and not replace:
        return existing, False
    fields = {
        key: data[key]
        for key in ("name", "version", "weeks", "checkin_instrument", "description", "source")
    }
    if existing is None:
        template = template_model.objects.create(slug=data["slug"], **fields)
    else:
        template = existing
        for key, value in fields.items():
            setattr(template, key, value)
        template.save()
        plan_model.objects.filter(template=template).delete()
        entry_model.objects.filter(template=template).delete()
    plan_model.objects.bulk_create(plan_model(template=template, **s) for s in data["sessions"])
    entry_model.objects.bulk_create(entry_model(template=template, **e) for e in data["schedule"])
    return template, True


def load_template(path: Path | None = None, *, replace: bool = False) -> tuple[Any, bool]:
    """Load a template file (default: the shipped 12-week CFT programme) with current models."""
    from balm.programmes.models import ProgrammeTemplate, ScheduleEntry, SessionPlan

    data = read_template_file(path or data_path())
    return write_template(
        data,
        template_model=ProgrammeTemplate,
        plan_model=SessionPlan,
        entry_model=ScheduleEntry,
        replace=replace,
    )
