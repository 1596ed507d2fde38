"""Reading programme templates from their data files and writing them to the database.

``read_template_file`` is pure (YAML in, checked dict out) so the data migration that loads the
shipped template when the database is set up can use it with historical models;
``load_template`` writes with the current models (``balm manage load_programme_templates``, the
demo). A file that cannot be used raises :class:`TemplateFileError` listing every problem at
once, each naming where it is (``weeks``, ``sessions[3].number``, ``timepoints.mid``,
``measures`` with the entry number, ...) and what is allowed, and never another exception:

- ``slug`` a short name (letters, numbers, hyphens, underscores; at most 80 characters), ``name``
  some text (at most 200), ``version`` (at most 20) and ``description`` optional text;
- ``weeks`` a whole number from 1 to :data:`MAX_WEEKS` (``true`` is not a number);
- ``sessions`` a list of mappings, numbered 1..weeks in order (``sessions[3]`` is the third in
  the file, counting from 1), each with a title, aims, an exercise and home practice;
- ``timepoints`` a mapping of timepoint name (:data:`TIMEPOINTS`) to the week it falls in, from
  0 (baseline, the first session) to :data:`FOLLOW_UP_LIMIT` weeks after the last session;
- ``measures`` a list of ``{instrument, timepoints}``: a catalogue instrument id and a list of
  the timepoint names above, each instrument due once at a timepoint;
- ``checkin_instrument`` a check-in instrument of the catalogue, or blank for none.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from balm.accounts.errors import InvalidInput, Problem
from balm.programmes.schedule import unfit_checkin, unknown_instrument

DEFAULT_TEMPLATE = "cft-persistent-pain-12.yaml"
TIMEPOINTS = ("baseline", "mid", "end", "follow_up")
MAX_WEEKS = 52
"""A weekly group programme runs at most a year (the shipped one runs 12 weeks)."""
FOLLOW_UP_LIMIT = 52
"""A timepoint falls at most a year after the last session (the shipped follow-up: week 24
of a 12-week programme); assessments are dated ``start_date + week`` weeks."""
SESSION_TEXT = ("title", "aims", "exercise", "home_practice")
SLUG = re.compile(r"^[-a-zA-Z0-9_]+\Z")  # Django's validate_slug, kept pure


class TemplateFileError(InvalidInput, ValueError):
    """A template data file is malformed (found when it is read).

    An :class:`~balm.accounts.errors.InvalidInput`: ``problems`` lists every problem found,
    each a ``Problem(field, message)`` naming where in the file it is (``""`` for the whole
    file); ``str()`` starts with the file name.
    """

    def __init__(self, source: str, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.source = source
        self.args = (f"{source}: " + "; ".join(f"{p.field}: {p.message}" for p in self.problems),)


def data_path(name: str = DEFAULT_TEMPLATE) -> Path:
    return Path(str(resources.files("balm.programmes") / "data" / name))


def _is_int(value: object) -> bool:
    """A whole number as YAML gives it (``true`` is a bool, not a number)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _shown(value: object) -> str:
    return "empty" if value is None else repr(value)


def _text(
    raw: dict[str, Any], key: str, problems: list[Problem], *, longest: int, required: bool
) -> str:
    """``raw[key]`` as stripped text (a number is read as its digits), or a problem."""
    value = raw.get(key)
    if value is None and not required:
        return ""
    if _is_int(value) or isinstance(value, float):
        value = str(value)
    if not isinstance(value, str) or (required and not value.strip()):
        problems.append(Problem(key, f"must be some text, not {_shown(value)}"))
        return ""
    if len(value.strip()) > longest:
        problems.append(Problem(key, f"must be at most {longest} characters"))
    return value.strip()


def _weeks(raw: dict[str, Any], problems: list[Problem]) -> int | None:
    weeks = raw.get("weeks")
    if _is_int(weeks) and 1 <= weeks <= MAX_WEEKS:
        return weeks
    problems.append(
        Problem("weeks", f"must be a whole number from 1 to {MAX_WEEKS}, not {_shown(weeks)}")
    )
    return None


def _sessions(
    raw: dict[str, Any], weeks: int | None, problems: list[Problem]
) -> list[dict[str, Any]]:
    """The sessions, each checked; numbered 1..weeks in order when every number is good."""
    sessions = raw.get("sessions")
    shape = "a list of sessions, each with number, title, aims, exercise and home_practice"
    if not isinstance(sessions, list) or not sessions:
        problems.append(Problem("sessions", f"must be {shape}, not {_shown(sessions)}"))
        return []
    allowed = f"from 1 to {weeks}" if weeks else f"from 1 to the weeks (at most {MAX_WEEKS})"
    checked: list[dict[str, Any]] = []
    all_numbered = True
    for position, session in enumerate(sessions, start=1):
        where = f"sessions[{position}]"
        if not isinstance(session, dict):
            problems.append(
                Problem(
                    where,
                    f"entry {position} must be a mapping of number, title, aims, exercise and "
                    f"home_practice, not {_shown(session)}",
                )
            )
            all_numbered = False
            continue
        number = session.get("number")
        if not (_is_int(number) and 1 <= number <= (weeks or MAX_WEEKS)):
            problems.append(
                Problem(
                    f"{where}.number",
                    f"entry {position}: number must be a whole number {allowed}, "
                    f"not {_shown(number)}",
                )
            )
            all_numbered = False
            number = None
        label = f"session {number}" if number else f"entry {position}"
        texts: dict[str, str] = {}
        for key in SESSION_TEXT:
            value = session.get(key)
            if _is_int(value) or isinstance(value, float):
                value = str(value)
            if value is None or (isinstance(value, str) and not value.strip()):
                problems.append(Problem(f"{where}.{key}", f"{label} has no {key}"))
                continue
            if not isinstance(value, str):
                problems.append(
                    Problem(f"{where}.{key}", f"{label}: {key} must be text, not {value!r}")
                )
                continue
            texts[key] = value.strip()
            if key == "title" and len(texts[key]) > 200:
                problems.append(
                    Problem(f"{where}.title", f"{label}: the title must be at most 200 characters")
                )
        checked.append({"number": number, **texts})
    numbers = [s["number"] for s in checked]
    if weeks and all_numbered and numbers != list(range(1, weeks + 1)):
        problems.append(Problem("sessions", f"sessions must be numbered 1..{weeks} in order"))
    return checked


def _timepoints(
    raw: dict[str, Any], weeks: int | None, problems: list[Problem]
) -> tuple[set[str] | None, dict[str, int]]:
    """The timepoints named (reported when unknown or badly timed; ``None`` when there is no
    usable mapping, reported too) and the week of each good one."""
    timepoints = raw.get("timepoints")
    if not isinstance(timepoints, dict):
        problems.append(
            Problem(
                "timepoints",
                "must be a mapping of timepoint name to week (for example baseline: 0); "
                f"allowed names: {', '.join(TIMEPOINTS)}; not {_shown(timepoints)}",
            )
        )
        return None, {}
    unknown = [name for name in timepoints if name not in TIMEPOINTS]
    if unknown:
        problems.append(
            Problem(
                "timepoints",
                f"unknown timepoints {sorted(unknown, key=str)}; allowed: {', '.join(TIMEPOINTS)}",
            )
        )
    latest = (weeks or MAX_WEEKS) + FOLLOW_UP_LIMIT
    weeks_of: dict[str, int] = {}
    for name in TIMEPOINTS:
        if name not in timepoints:
            continue
        week = timepoints[name]
        if _is_int(week) and 0 <= week <= latest:
            weeks_of[name] = week
        else:
            problems.append(
                Problem(
                    f"timepoints.{name}",
                    f"must be a whole number of weeks from 0 to {latest}, not {_shown(week)}",
                )
            )
    return {str(name) for name in timepoints}, weeks_of


def _schedule(
    raw: dict[str, Any],
    named: set[str] | None,
    weeks_of: dict[str, int],
    problems: list[Problem],
) -> list[dict[str, Any]]:
    """The schedule entries of the ``measures`` list; every bad measure is a problem naming
    its entry number, instrument and weeks (and, for an unknown instrument, the allowed ids).
    A timepoint already reported under ``timepoints`` (unknown, or a bad week, or no usable
    ``timepoints`` at all) is not reported again."""
    measures = raw.get("measures")
    if not isinstance(measures, list):
        problems.append(Problem("measures", "must be a list of {instrument, timepoints}"))
        return []
    schedule: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for number, measure in enumerate(measures, start=1):
        if not isinstance(measure, dict):
            problems.append(
                Problem(
                    "measures",
                    f"entry {number} must be {{instrument, timepoints}}, not {_shown(measure)}",
                )
            )
            continue
        instrument = measure.get("instrument")
        timepoints = measure.get("timepoints")
        if not isinstance(timepoints, list) or not timepoints:
            problems.append(Problem("measures", f"entry {number} ({instrument}) has no timepoints"))
            timepoints = []
        names = [t for t in timepoints if isinstance(t, str)]
        at = ", ".join(f"{t} week {weeks_of[t]}" if t in weeks_of else t for t in names)
        where = f"entry {number} ({at})" if at else f"entry {number}"
        why_not = unknown_instrument(instrument)
        if why_not:
            problems.append(Problem("measures", f"{where}: {why_not}"))
        for timepoint in timepoints:
            if not isinstance(timepoint, str):
                problems.append(
                    Problem(
                        "measures",
                        f"entry {number} ({instrument}): timepoint {timepoint!r} is not a "
                        f"timepoint name; allowed: {', '.join(TIMEPOINTS)}",
                    )
                )
                continue
            if timepoint not in weeks_of:
                if named is not None and timepoint not in named:
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
                {"instrument_id": instrument, "timepoint": timepoint, "week": weeks_of[timepoint]}
            )
    return schedule


def _raw(path: Path) -> Any:
    """The file's YAML, or a :class:`TemplateFileError` if it cannot be read as YAML."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        message = f"is not UTF-8 text (byte {error.start})"
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        what = getattr(error, "problem", None) or str(error)
        message = f"is not valid YAML{where}: {what}"
    except OSError as error:
        message = f"cannot be read: {error.strerror or error}"
    raise TemplateFileError(path.name, [Problem("", message)])


def read_template_file(path: Path) -> dict[str, Any]:
    """Read and check a template file; every problem is reported together
    (:class:`TemplateFileError`), so nothing is written from a bad file."""
    raw = _raw(path)
    if not isinstance(raw, dict):
        raise TemplateFileError(path.name, [Problem("", "expected a mapping of keys")])
    problems: list[Problem] = []
    missing = [
        key
        for key in ("slug", "name", "weeks", "timepoints", "measures", "sessions")
        if key not in raw
    ]
    problems.extend(Problem(key, f"missing {key}") for key in missing)
    slug = raw.get("slug")
    if "slug" not in missing and not (isinstance(slug, str) and SLUG.match(slug)):
        problems.append(
            Problem(
                "slug",
                "must be a short name of letters, numbers, hyphens and underscores, "
                f"not {_shown(slug)}",
            )
        )
    elif isinstance(slug, str) and len(slug) > 80:
        problems.append(Problem("slug", "must be at most 80 characters"))
    name = _text(raw, "name", problems, longest=200, required=True) if "name" in raw else ""
    version = _text(raw, "version", problems, longest=20, required=False) or "1"
    description = _text(raw, "description", problems, longest=100_000, required=False)
    weeks = _weeks(raw, problems) if "weeks" not in missing else None
    sessions = _sessions(raw, weeks, problems) if "sessions" not in missing else []
    named, weeks_of = (
        _timepoints(raw, weeks, problems) if "timepoints" not in missing else (None, {})
    )
    schedule = _schedule(raw, named, weeks_of, problems) if "measures" not in missing else []
    checkin = raw.get("checkin_instrument")
    checkin = "" if checkin is None else checkin.strip() if isinstance(checkin, str) else checkin
    why_not = unfit_checkin(checkin)
    if why_not:
        problems.append(Problem("checkin_instrument", why_not))
    if problems:
        raise TemplateFileError(path.name, problems)
    return {
        "slug": slug,
        "name": name,
        "version": version,
        "weeks": weeks,
        "checkin_instrument": checkin,
        "description": description,
        "sessions": sessions,
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


def save_template(data: dict[str, Any], *, replace: bool = False) -> tuple[Any, bool]:
    """Write a template read by :func:`read_template_file` with the current models."""
    from balm.programmes.models import ProgrammeTemplate, ScheduleEntry, SessionPlan

    return write_template(
        data,
        template_model=ProgrammeTemplate,
        plan_model=SessionPlan,
        entry_model=ScheduleEntry,
        replace=replace,
    )


def load_template(path: Path | None = None, *, replace: bool = False) -> tuple[Any, bool]:
    """Load a template file (default: the shipped 12-week CFT programme) with current models;
    a bad file raises :class:`TemplateFileError` before anything is written."""
    return save_template(read_template_file(path or data_path()), replace=replace)
