"""Reading a wording file (YAML or CSV, by its name) into the data the actions check."""

from __future__ import annotations

from typing import Any

from balm.accounts.errors import InvalidInput, Problem
from balm.instruments.wording import WordingError, parse_csv, parse_yaml

MAX_FILE_BYTES = 1_000_000


def read_wording_file(
    name: str, content: bytes, instrument_id: str = ""
) -> tuple[str, dict[str, Any]]:
    """``(instrument_id, data)`` from a ``.yaml``/``.yml`` or ``.csv`` file.

    A YAML file names its instrument (``instrument:``); a CSV file's instrument is given
    beside it. Given both, they must agree. Raises :class:`InvalidInput` with every problem.
    """
    if len(content) > MAX_FILE_BYTES:
        raise InvalidInput([Problem("file", "The file is larger than 1 MB.")])
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput([Problem("file", "The file is not UTF-8 text.")]) from None
    lower = name.lower()
    try:
        if lower.endswith((".yaml", ".yml")):
            data = parse_yaml(text)
        elif lower.endswith(".csv"):
            if not instrument_id:
                raise InvalidInput(
                    [Problem("instrument", "Name the instrument of a CSV wording file.")]
                )
            data = parse_csv(text, instrument_id)
        else:
            raise InvalidInput([Problem("file", "Give a .yaml, .yml or .csv file.")])
    except WordingError as error:
        raise InvalidInput([Problem(p.where, p.message) for p in error.problems]) from None
    named = data.get("instrument")
    if not isinstance(named, str) or not named:
        if not instrument_id:
            raise InvalidInput([Problem("instrument", "Name the instrument (instrument: ID).")])
        named = instrument_id
    if instrument_id and named != instrument_id:
        raise InvalidInput(
            [Problem("instrument", f"The file is for {named!r}, not {instrument_id!r}.")]
        )
    return named, data
