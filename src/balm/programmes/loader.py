"""Reading programme templates from their data files and writing them to the database.

``read_template_file`` is pure (YAML in, checked dict out) so the data migration can use it
with historical models; ``load_template`` writes with the current models.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

DEFAULT_TEMPLATE = "cft-persistent-pain-12.yaml"
TIMEPOINTS = ("baseline", "mid", "end", "follow_up")


class TemplateFileError(ValueError):
    """A template data file is malformed (found when it is read)."""


def data_path(name: str = DEFAULT_TEMPLATE) -> Path:
    return Path(str(resources.files("balm.programmes") / "data" / name))


def read_template_file(path: Path) -> dict[str, Any]:
    """Read and check a template file; every problem is reported together."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    problems: list[str] = []
    for key in ("slug", "name", "weeks", "timepoints", "measures", "sessions"):
        if key not in raw:
            problems.append(f"missing {key}")
    if problems:
        raise TemplateFileError(f"{path.name}: " + "; ".join(problems))
    weeks = int(raw["weeks"])
    numbers = [int(s["number"]) for s in raw["sessions"]]
    if numbers != list(range(1, weeks + 1)):
        problems.append(f"sessions must be numbered 1..{weeks} in order")
    for session in raw["sessions"]:
        for key in ("title", "aims", "exercise", "home_practice"):
            if not str(session.get(key, "")).strip():
                problems.append(f"session {session.get('number')} has no {key}")
    unknown = set(raw["timepoints"]) - set(TIMEPOINTS)
    if unknown:
        problems.append(f"unknown timepoints {sorted(unknown)}")
    schedule = []
    for measure in raw["measures"]:
        for timepoint in measure["timepoints"]:
            if timepoint not in raw["timepoints"]:
                problems.append(f"{measure['instrument']}: timepoint {timepoint} has no week")
                continue
            schedule.append(
                {
                    "instrument_id": measure["instrument"],
                    "timepoint": timepoint,
                    "week": int(raw["timepoints"][timepoint]),
                }
            )
    if problems:
        raise TemplateFileError(f"{path.name}: " + "; ".join(problems))
    return {
        "slug": raw["slug"],
        "name": raw["name"],
        "version": str(raw.get("version", "1")),
        "weeks": weeks,
        "checkin_instrument": raw.get("checkin_instrument", "") or "",
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
