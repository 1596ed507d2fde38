"""``balm report``: the evaluation report from balm's exports, as HTML, PDF, XLSX or JSON.

A thin layer over :mod:`balm.report`: read and check every input (all problems listed, exit
code 2, nothing written), build the report, render it in the format the output's extension
names, and write the file only when everything succeeded.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from balm.cli.common import EXIT_USAGE, fail

FORMATS = (".html", ".pdf", ".xlsx", ".json")


def _write_whole(path: Path, content: bytes) -> None:
    """Write to a temporary file beside ``path`` and rename it, so no half-written report is
    ever left under the name asked for."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def report(
    scores: Annotated[
        Path,
        typer.Argument(metavar="SCORES.csv", help="balm's tidy scores export (or the same shape)."),
    ],
    output: Annotated[
        Path,
        typer.Option("-o", "--output", help="report.html, report.pdf, report.xlsx or report.json."),
    ],
    checkins: Annotated[
        Path | None, typer.Option("--checkins", help="balm's check-in export.")
    ] = None,
    sessions: Annotated[
        Path | None,
        typer.Option(
            "--sessions",
            help="Sessions CSV: cohort, session, date, title, attended, enrolled.",
        ),
    ] = None,
    enrolments: Annotated[
        Path | None,
        typer.Option(
            "--enrolments",
            help="Enrolments CSV: the id column, referred_on, assessed_on, started_on, "
            "completed_on, withdrawn_on, withdrawal_reason, sessions_attended.",
        ),
    ] = None,
    qual: Annotated[
        Path | None,
        typer.Option(
            "--qual", help="Qualitative project (REFI-QDA .qdpx) for themes and joint displays."
        ),
    ] = None,
    shareable: Annotated[
        bool,
        typer.Option(
            "--shareable",
            help="Suppress counts under 5 and leave out quotes not cleared for sharing.",
        ),
    ] = False,
    id: Annotated[str, typer.Option("--id", help="Id column (a course of treatment).")] = (
        "enrolment"
    ),
    time: Annotated[str, typer.Option("--time", help="Timepoint column.")] = "timepoint",
    pre: Annotated[str, typer.Option("--pre", help="Timepoint of the pre score.")] = "baseline",
    post: Annotated[str, typer.Option("--post", help="Timepoint of the post score.")] = "end",
    follow_up: Annotated[
        str, typer.Option("--follow-up", help="Timepoint of the follow-up.")
    ] = "follow_up",
    min_sessions: Annotated[
        int, typer.Option("--min-sessions", help="k in 'attended at least k sessions'.")
    ] = 6,
    sessions_planned: Annotated[
        int, typer.Option("--sessions-planned", help="Sessions in the programme.")
    ] = 12,
    title: Annotated[str | None, typer.Option("--title", help="Title of the report.")] = None,
) -> None:
    """The evaluation report: flow, attendance, completeness, baseline, outcomes, check-ins,
    comparisons, facilitator feedback, themes and joint displays."""
    from balm.report import ReportInputError, ReportOptions, build_report, read_inputs, render

    problems: list[str] = []
    suffix = output.suffix.lower()
    if suffix not in FORMATS:
        problems.append(
            f"-o {output}: the extension must be one of {', '.join(FORMATS)} (it names the format)"
        )
    if not output.parent.is_dir():
        problems.append(f"-o {output}: the folder {output.parent} does not exist")
    defaults = ReportOptions()
    options = ReportOptions(
        id=id,
        time=time,
        pre=pre,
        post=post,
        follow_up=follow_up,
        k=min_sessions,
        sessions_planned=sessions_planned,
        title=defaults.title if title is None else title,
        shareable=shareable,
    )
    try:
        inputs = read_inputs(
            scores,
            options,
            checkins=checkins,
            sessions=sessions,
            enrolments=enrolments,
            qual=qual,
        )
    except ReportInputError as error:
        problems.extend(error.problems)
    if problems:
        for problem in problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(code=EXIT_USAGE)
    try:
        content = render(build_report(inputs, options), suffix)
    except ReportInputError as error:
        raise fail("; ".join(error.problems)) from error
    _write_whole(output, content)
    typer.echo(f"wrote {output} ({len(content):,} bytes)")


def register(app: typer.Typer) -> None:
    """Add ``balm report`` to ``app``."""
    app.command(
        "report", help="The evaluation report (HTML, PDF, XLSX or JSON) from balm's exports."
    )(report)
