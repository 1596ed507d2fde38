"""``balm trend``: fit the longitudinal growth model to a long-format CSV file.

A thin layer over :func:`balm.change.mixed.fit_growth_model`: read the file, fit,
print.  Problems with the input (a missing file or column, values that are not
numbers) end with exit code 2 and a message on standard error.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from balm.cli.common import fail, read_long_csv

if TYPE_CHECKING:
    from balm.change.mixed import GrowthModelResult


def _number(value: float, digits: int = 3) -> str:
    return "—" if not math.isfinite(value) else f"{value:.{digits}f}"


def _p_value(p: float) -> str:
    if not math.isfinite(p):
        return "—"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _print_tables(result: GrowthModelResult, outcome: str) -> None:
    console = Console()
    method = "REML" if result.reml else "ML"
    fixed = Table(
        title=(
            f"Growth model for {outcome!r}: {result.n_participants} participants, "
            f"{result.n_observations} observations ({method})"
        ),
        caption="95% CI: Wald intervals (estimate ± 1.96 SE)",
    )
    fixed.add_column("term")
    for name in ("estimate", "SE", "95% CI", "z", "p"):
        fixed.add_column(name, justify="right")
    for term, row in result.fixed_effects.iterrows():
        fixed.add_row(
            str(term),
            _number(float(row["estimate"])),
            _number(float(row["se"])),
            f"{_number(float(row['ci_low']))} to {_number(float(row['ci_high']))}",
            _number(float(row["z"]), 2),
            _p_value(float(row["p"])),
        )
    console.print(fixed)

    random = Table(title="Random effects (per participant) and residual")
    random.add_column("component")
    random.add_column("value", justify="right")
    random.add_row("SD intercept", _number(result.sd_intercept))
    random.add_row(f"SD slope ({result.time})", _number(result.sd_slope, 4))
    random.add_row("correlation intercept-slope", _number(result.corr))
    random.add_row("SD residual", _number(result.sd_residual))
    random.add_row("log-likelihood", _number(result.loglik, 2))
    console.print(random)
    if not result.converged:
        Console(stderr=True).print(
            "[yellow]warning:[/] the optimiser did not confirm convergence; "
            "interpret the estimates with care"
        )
    note = _boundary_note(result)
    if note:
        Console(stderr=True).print(f"[yellow]note:[/] boundary (singular) fit: {note}")


def _boundary_note(result: GrowthModelResult) -> str:
    if result.sd_slope == 0.0:
        return "no between-participant variation in slopes was estimated (SD slope 0)"
    if result.sd_intercept == 0.0:
        return "no between-participant variation in intercepts was estimated (SD 0)"
    if abs(result.corr) >= 1.0 - 1e-6:
        return "the intercept-slope correlation is estimated at +-1"
    return ""


def trend(
    data: Annotated[Path, typer.Argument(help="Long-format CSV file, one row per visit.")],
    id: Annotated[str, typer.Option("--id", help="Participant id column.")],
    time: Annotated[str, typer.Option("--time", help="Numeric time column, e.g. week.")],
    outcome: Annotated[str, typer.Option("--outcome", help="Numeric score column.")],
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by",
            help=(
                "Covariate entered as a main effect and in interaction with time; "
                "repeatable. Text columns are dummy-coded (first level in sorted order is "
                "the reference); numeric columns enter as they are."
            ),
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of tables.")
    ] = False,
    reml: Annotated[
        bool, typer.Option("--reml/--ml", help="Restricted (default) or full maximum likelihood.")
    ] = True,
) -> None:
    """Fit score ~ time (x by) with a random intercept and slope per participant.

    Uses every observation (participants with missing weeks still count) and reports
    the fixed effects with 95% Wald confidence intervals and the variance components.
    """
    from balm.change.mixed import GrowthModelInputError, fit_growth_model

    frame = read_long_csv(data)
    try:
        result = fit_growth_model(
            frame, id=id, time=time, outcome=outcome, by=tuple(by or ()), reml=reml
        )
    except GrowthModelInputError as error:
        raise fail(str(error)) from error
    if as_json:
        typer.echo(json.dumps(result.to_dict(), allow_nan=False))
    else:
        _print_tables(result, outcome)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("trend")(trend)
