"""What every command group shares: how a user's mistake is reported."""

from __future__ import annotations

import typer

EXIT_USAGE = 2
"""Exit code for bad input (a missing column, a bad cell, an unknown instrument)."""


def fail(message: str) -> typer.Exit:
    """Print ``error: <message>`` on stderr and return the exit to raise (code 2).

    Plain text, never rich markup or wrapping: messages quote user data such as
    ``format[online]`` or long paths, which must reach the user unchanged.
    """
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=EXIT_USAGE)
