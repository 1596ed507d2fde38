"""What every command group shares: how a user's mistake is reported."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    import pandas as pd

EXIT_USAGE = 2
"""Exit code for bad input (a missing column, a bad cell, an unknown instrument)."""


def fail(message: str) -> typer.Exit:
    """Print ``error: <message>`` on stderr and return the exit to raise (code 2).

    Plain text, never rich markup or wrapping: messages quote user data such as
    ``format[online]`` or long paths, which must reach the user unchanged.
    """
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=EXIT_USAGE)


def read_long_csv(path: Path) -> pd.DataFrame:
    """Read a long-format CSV for ``balm change`` / ``balm trend``, or fail with exit 2.

    Rows are labelled by their line in the file (the header is line 1), so messages that
    name rows point at lines a researcher can find in a spreadsheet or editor.
    """
    import pandas as pd

    if not path.is_file():
        raise fail(f"{path}: no such file (it does not exist or is not a file)")
    try:
        data = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise fail(f"{path}: cannot read as CSV ({error})") from error
    data.index = pd.RangeIndex(2, len(data) + 2, name="line")
    return data
