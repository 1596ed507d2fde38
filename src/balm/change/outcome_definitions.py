"""Published outcome definitions read from data files (``outcome_definitions/*.yaml``).

Each file is validated by pydantic when it is first read; a malformed file is a programmer
error (:class:`OutcomeDefinitionsError`), found by the tests that load every file.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OutcomeDefinitionsError(Exception):
    """A data file of outcome definitions is malformed."""


class TTMeasure(_Strict):
    """One measure of the Talking Therapies pair: caseness score and reliable change."""

    instrument: str
    caseness: float = Field(gt=0)
    reliable_change: float = Field(gt=0)
    source: str


_TTTerm = Literal[
    "case", "recovery", "reliable_improvement", "reliable_deterioration", "reliable_recovery"
]


class TalkingTherapiesDefinitions(_Strict):
    """``talking_therapies.yaml``: the PHQ-9 and GAD-7 thresholds and the definitions."""

    name: str
    source: str
    measures: dict[Literal["phq9", "gad7"], TTMeasure]
    definitions: dict[_TTTerm, str]

    @model_validator(mode="after")
    def _complete(self) -> TalkingTherapiesDefinitions:
        if set(self.measures) != {"phq9", "gad7"} or len(self.definitions) != 5:
            raise ValueError("talking therapies needs both measures and all five definitions")
        return self


class ImmpactLevel(_Strict):
    label: Literal["substantial", "moderate", "minimal"]
    at_least: float = Field(gt=0)
    description: str


class ImmpactDomain(_Strict):
    description: str
    kind: Literal["percent_decrease", "point_decrease"]
    applies_to: tuple[str, ...]
    levels: tuple[ImmpactLevel, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _descending(self) -> ImmpactDomain:
        values = [level.at_least for level in self.levels]
        if values != sorted(values, reverse=True) or len(set(values)) != len(values):
            raise ValueError("levels must be listed from the largest threshold down")
        if self.kind == "percent_decrease" and values[0] > 1:
            raise ValueError("percentages are proportions (0.3 for 30%)")
        return self


class ImmpactDefinitions(_Strict):
    """``immpact.yaml``: thresholds of clinically important change per domain."""

    name: str
    source: str
    domains: dict[str, ImmpactDomain] = Field(min_length=1)


def _read(name: str) -> object:
    path = resources.files("balm.change") / "outcome_definitions" / name
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@cache
def talking_therapies_definitions() -> TalkingTherapiesDefinitions:
    """The NHS Talking Therapies definitions, validated (read once)."""
    try:
        return TalkingTherapiesDefinitions.model_validate(_read("talking_therapies.yaml"))
    except ValidationError as error:
        raise OutcomeDefinitionsError(f"talking_therapies.yaml: {error}") from error


@cache
def immpact_definitions() -> ImmpactDefinitions:
    """The IMMPACT thresholds, validated (read once)."""
    try:
        return ImmpactDefinitions.model_validate(_read("immpact.yaml"))
    except ValidationError as error:
        raise OutcomeDefinitionsError(f"immpact.yaml: {error}") from error
