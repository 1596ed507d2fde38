"""The numbers an analysis used, each with where it came from.

A number is ``given`` (an argument), from the catalogue (with the catalogue's source
text), or computed from the sample (e.g. the clinical mean and SD at baseline).
"""

from __future__ import annotations

from dataclasses import dataclass

from balm.change.categories import Better
from balm.change.errors import ChangeInputError

GIVEN = "given"


@dataclass(frozen=True)
class Parameter:
    """One number (or choice) used by an analysis.

    Attributes
    ----------
    name : str
        e.g. ``reliability``, ``m_functional``, ``cutoff``.
    value : float or str
        The value used.
    source : str
        ``given``, ``sample: ...`` or ``catalogue <instrument>/<scale>: <source>``.
    """

    name: str
    value: float | str
    source: str


@dataclass(frozen=True)
class CatalogueValues:
    """Psychometrics of one scale from the instrument catalogue, as Parameters."""

    instrument: str
    scale: str
    values: dict[str, Parameter]


def from_catalogue(instrument: str, scale: str = "total") -> CatalogueValues:
    """Read direction, reliability, norms, cut-off and MID of a catalogue scale.

    Parameters
    ----------
    instrument : str
        Catalogue id, e.g. ``"phq9"``.
    scale : str
        Scale id within the instrument (default ``"total"``).

    Returns
    -------
    CatalogueValues
        Only the numbers the catalogue has; names ``better``, ``reliability``,
        ``m_clinical``, ``sd_clinical``, ``m_functional``, ``sd_functional``,
        ``cutoff_value``, ``mid``; ``norms_missing`` (its source says why) when the
        catalogue states that no usable functional norm exists.

    Raises
    ------
    ChangeInputError
        If the instrument or the scale is not in the catalogue.
    """
    from balm.instruments import UnknownInstrumentError, get_instrument

    try:
        inst = get_instrument(instrument)
    except UnknownInstrumentError as error:
        raise ChangeInputError(f"unknown instrument {instrument!r}") from error
    try:
        sc = inst.scale(scale)
    except KeyError as error:
        scales = ", ".join(s.id for s in inst.scales)
        raise ChangeInputError(
            f"instrument {instrument!r} has no scale {scale!r}; it has: {scales}"
        ) from error
    where = f"catalogue {instrument}/{scale}"
    better = Better.HIGHER if sc.direction.value == "higher_better" else Better.LOWER
    values: dict[str, Parameter] = {
        "better": Parameter("better", better.value, f"{where}: direction {sc.direction.value}")
    }
    p = sc.psychometrics
    if p.reliability is not None:
        values["reliability"] = Parameter(
            "reliability",
            p.reliability.value,
            f"{where}: {p.reliability.kind}; {p.reliability.source}",
        )
    if p.clinical is not None:
        src = f"{where}: {p.clinical.population}; {p.clinical.source}"
        values["m_clinical"] = Parameter("m_clinical", p.clinical.mean, src)
        values["sd_clinical"] = Parameter("sd_clinical", p.clinical.sd, src)
    if p.functional is not None:
        src = f"{where}: {p.functional.population}; {p.functional.source}"
        values["m_functional"] = Parameter("m_functional", p.functional.mean, src)
        values["sd_functional"] = Parameter("sd_functional", p.functional.sd, src)
    if p.cutoff is not None:
        values["cutoff_value"] = Parameter(
            "cutoff_value", p.cutoff.value, f"{where}: {p.cutoff.description}; {p.cutoff.source}"
        )
    if p.norms_missing is not None:
        values["norms_missing"] = Parameter(
            "norms_missing", "no usable published norms", f"{where}: {p.norms_missing}"
        )
    if p.mid is not None:
        values["mid"] = Parameter(
            "mid", p.mid.value, f"{where}: {p.mid.description}; {p.mid.source}"
        )
    return CatalogueValues(instrument, scale, values)


class ParameterSet:
    """Resolve each number from the explicit arguments, else the catalogue; record it."""

    def __init__(self, given: dict[str, float | str | None], catalogue: CatalogueValues | None):
        self._given = {k: v for k, v in given.items() if v is not None}
        self._catalogue = catalogue.values if catalogue is not None else {}
        self.used: dict[str, Parameter] = {}

    def get(self, name: str) -> float | str | None:
        """The value of ``name`` (given first, then catalogue), recorded as used; or None."""
        if name in self._given:
            param = Parameter(name, self._given[name], GIVEN)
        elif name in self._catalogue:
            param = self._catalogue[name]
        else:
            return None
        self.used[name] = param
        return param.value

    def is_given(self, name: str) -> bool:
        """Whether ``name`` was passed explicitly."""
        return name in self._given

    def number(self, name: str) -> float | None:
        """Like :meth:`get` for a number."""
        value = self.get(name)
        if value is None:
            return None
        try:
            return float(value)
        except (TypeError, ValueError) as error:
            raise ChangeInputError(f"{name} must be a number, got {value!r}") from error

    def record(self, name: str, value: float | str, source: str) -> None:
        """Record a value that was computed or chosen here."""
        self.used[name] = Parameter(name, value, source)

    def as_tuple(self) -> tuple[Parameter, ...]:
        """All parameters used, in the order they were first used."""
        return tuple(self.used.values())
