"""Loading the instrument catalogue: one YAML data file per instrument, under ``catalogue/``."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from balm import yaml_loader
from balm.instruments.schema import Instrument


class CatalogueError(Exception):
    """A data file in the catalogue is malformed (a programmer error, found at load)."""


class UnknownInstrumentError(LookupError):
    """An instrument id that the catalogue does not hold."""

    def __init__(self, instrument_id: str, known: list[str]) -> None:
        self.instrument_id = instrument_id
        self.known = known
        super().__init__(
            f"unknown instrument {instrument_id!r}; the catalogue holds: {', '.join(known)}"
        )


def load_file(path: Path) -> Instrument:
    """Read and validate one instrument data file."""
    with path.open(encoding="utf-8") as handle:
        raw = yaml_loader.load(handle)
    try:
        instrument = Instrument.model_validate(raw)
    except ValidationError as error:
        raise CatalogueError(f"{path.name}: {error}") from error
    if instrument.id != path.stem:
        raise CatalogueError(f"{path.name}: id {instrument.id!r} must match the file name")
    return instrument


@cache
def catalogue() -> dict[str, Instrument]:
    """Every instrument shipped with balm, by id, in id order."""
    folder = resources.files("balm.instruments") / "catalogue"
    paths = sorted(Path(str(entry)) for entry in folder.iterdir() if entry.name.endswith(".yaml"))
    instruments = [load_file(path) for path in paths]
    return {instrument.id: instrument for instrument in instruments}


def get_instrument(instrument_id: str) -> Instrument:
    """One instrument by id; :class:`UnknownInstrumentError` lists the known ids."""
    known = catalogue()
    try:
        return known[instrument_id]
    except KeyError:
        raise UnknownInstrumentError(instrument_id, sorted(known)) from None
