"""What a qualitative project declares for joining words and numbers (mixed-methods
integration): which participant a case is, which outcomes a theme speaks to, which passages
are cleared for sharing, and the researcher's meta-inferences.

Everything is kept in parts of the project that REFI-QDA already carries, so it travels in a
``.qdpx`` and shows in other programs as plain text (nothing new in the project model):

- **participant of a case**: the case variable ``enrolment`` (an enrolment id of the scores),
  else the case variable ``participant`` (a participant of the scores), else the case's name
  read as the participant's pseudonym (:func:`case_participant`);
- **outcomes a theme speaks to**: a line ``Speaks to: phq9_total, cpaq8_total`` in the
  theme's description (:func:`speaks_to`, :func:`set_speaks_to`); a column followed by
  `` (worse)`` means the theme voices no change or change for the worse on it;
- **cleared for sharing**: a passage lies inside a coding with a code named
  ``cleared for sharing`` (any case) in the same source (:func:`cleared`);
- **meta-inference** per case and outcome: the case variables
  ``meta_inference <outcome>`` (one of agree, complement, discord, silent) and
  ``interpretation <outcome>`` (a sentence); ``<outcome>`` may be ``*`` for every outcome of
  the case (:func:`meta_inferences`, :func:`set_meta_inference`).

Meta-inferences follow Fetters, Curry & Creswell (2013), Health Services Research
48(6):2134-56 (confirmation, expansion, discordance) and the joint displays of Guetterman,
Fetters & Creswell (2015), Annals of Family Medicine 13(6):554-61; "silent" marks a case
whose words do not touch the outcome (O'Cathain, Murphy & Nicholl 2010, BMJ 341:c4587).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Final

from balm.qual.errors import QualInputError
from balm.qual.project import Case, Project, VariableValue

META_INFERENCES: Final = ("agree", "complement", "discord", "silent")
CLEARED_CODE: Final = "cleared for sharing"
SPEAKS_TO: Final = "Speaks to:"
ALL_OUTCOMES: Final = "*"
_INFERENCE = "meta_inference "
_INTERPRETATION = "interpretation "
_OUTCOME = re.compile(r"[A-Za-z0-9_]+|\*")
_SPOKEN = re.compile(r"[A-Za-z0-9_]+( \(worse\))?")


@dataclass(frozen=True)
class MetaInference:
    """The researcher's reading of one case on one outcome (``*``: every outcome)."""

    case: str
    outcome: str
    inference: str
    interpretation: str


def case_participant(case: Case) -> tuple[str, str]:
    """How a case names its person: ``("enrolment", id)``, ``("participant", id)`` from the
    case variables, else ``("participant", case name)`` (the pseudonym)."""
    for variable in ("enrolment", "participant"):
        value = case.variables.get(variable)
        if value is not None and str(value).strip():
            return variable, str(value).strip()
    return "participant", case.name


def speaks_to(description: str) -> tuple[str, ...]:
    """The outcome columns named on the ``Speaks to:`` line of a theme description."""
    for line in description.splitlines():
        if line.strip().lower().startswith(SPEAKS_TO.lower()):
            names = line.strip()[len(SPEAKS_TO) :].replace(";", ",").split(",")
            return tuple(n.strip() for n in names if n.strip())
    return ()


def set_speaks_to(project: Project, theme: str, outcomes: tuple[str, ...]) -> None:
    """Declare the outcome columns theme ``theme`` (an id) speaks to (replaces the line)."""
    problems = [
        f"{o!r} is not an outcome column name (optionally followed by ' (worse)')"
        for o in outcomes
        if not _SPOKEN.fullmatch(o)
    ]
    index = next((i for i, t in enumerate(project.themes) if t.id == theme), None)
    if index is None:
        problems.append(f"unknown theme id {theme!r}")
    if problems:
        raise QualInputError(problems)
    assert index is not None
    old = project.themes[index]
    kept = [
        line
        for line in old.description.splitlines()
        if not line.strip().lower().startswith(SPEAKS_TO.lower())
    ]
    if outcomes:
        kept.append(f"{SPEAKS_TO} {', '.join(outcomes)}")
    project.themes[index] = replace(old, description="\n".join(kept))


def cleared(project: Project) -> dict[str, list[tuple[int, int]]]:
    """Per source id, the spans coded with the code named ``cleared for sharing``."""
    codes = {c.id for c in project.codes if c.name.strip().lower() == CLEARED_CODE}
    spans: dict[str, list[tuple[int, int]]] = {}
    for coding in project.codings:
        if coding.code in codes:
            spans.setdefault(coding.source, []).append((coding.start, coding.end))
    return spans


def is_cleared(spans: dict[str, list[tuple[int, int]]], source: str, start: int, end: int) -> bool:
    """True when ``[start, end)`` of ``source`` lies inside one cleared span."""
    return any(a <= start and end <= b for a, b in spans.get(source, ()))


def meta_inferences(project: Project) -> dict[tuple[str, str], MetaInference]:
    """Every meta-inference of the project by (case name, outcome); a bad value is a
    :class:`QualInputError` naming the case, the variable and the values allowed."""
    found: dict[tuple[str, str], MetaInference] = {}
    problems: list[str] = []
    for case in project.cases:
        for name, value in case.variables.items():
            if not name.startswith(_INFERENCE):
                continue
            outcome = name[len(_INFERENCE) :].strip()
            inference = str(value).strip().lower()
            if inference not in META_INFERENCES:
                problems.append(
                    f"case {case.name!r}: variable {name!r} is {value!r}; use one of "
                    f"{', '.join(META_INFERENCES)}"
                )
                continue
            text = case.variables.get(_INTERPRETATION + outcome, "")
            found[(case.name, outcome)] = MetaInference(case.name, outcome, inference, str(text))
    if problems:
        raise QualInputError(problems)
    return found


def set_meta_inference(
    project: Project, *, case: str, outcome: str, inference: str, interpretation: str
) -> None:
    """Record (or replace) the meta-inference on case ``case`` (a name) for ``outcome``."""
    problems = []
    if inference not in META_INFERENCES:
        problems.append(f"meta-inference {inference!r} is not one of {', '.join(META_INFERENCES)}")
    if not _OUTCOME.fullmatch(outcome):
        problems.append(f"{outcome!r} is not an outcome column name (or *)")
    if "\n" in interpretation or not interpretation.strip():
        problems.append("the interpretation is one sentence on one line, not empty")
    index = next((i for i, c in enumerate(project.cases) if c.name == case), None)
    if index is None:
        problems.append(f"the project has no case named {case!r}")
    if problems:
        raise QualInputError(problems)
    assert index is not None
    old = project.cases[index]
    variables: dict[str, VariableValue] = dict(old.variables)
    variables[_INFERENCE + outcome] = inference
    variables[_INTERPRETATION + outcome] = interpretation.strip()
    project.cases[index] = replace(old, variables=variables)
