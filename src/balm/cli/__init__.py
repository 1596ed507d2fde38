"""The ``balm`` command: a thin layer over the pure core and the web app.

Each group of commands lives in its own module and adds itself to the app through
``register``; nothing here computes anything.
"""

from __future__ import annotations

import typer

from balm.cli import (
    backup_cmd,
    change_cmd,
    exchange_cmd,
    instruments_cmd,
    qual_analysis_cmd,
    qual_cmd,
    report_cmd,
    trend_cmd,
    web_cmd,
)

app = typer.Typer(
    name="balm",
    help="Deliver and evaluate compassion-focused therapy groups for persistent pain.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (
    instruments_cmd,
    change_cmd,
    trend_cmd,
    report_cmd,
    web_cmd,
    qual_cmd,
    qual_analysis_cmd,
    backup_cmd,
    exchange_cmd,
):
    module.register(app)


def main() -> None:
    """Entry point of the ``balm`` console script."""
    app()
