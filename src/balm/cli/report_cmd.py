"""``balm report``: the evaluation report from balm's exports, as HTML, PDF, XLSX or JSON.

A thin layer over :mod:`balm.report`: read and check every input (all problems listed, exit
code 2, nothing written), build the report, render it in the format each output's extension
names (``-o`` may be given more than once: one build, several files), and write the files only
when every one of them rendered.
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
        list[Path],
        typer.Option(
            "-o",
            "--output",
            metavar="FILE",
            help="report.html, report.pdf, report.xlsx or report.json; "
            "repeat it for several formats from one build.",
        ),
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
    for path in output:
        if path.suffix.lower() not in FORMATS:
            problems.append(
                f"-o {path}: the extension must be one of {', '.join(FORMATS)} "
                "(it names the format)"
            )
        if not path.parent.is_dir():
            problems.append(f"-o {path}: the folder {path.parent} does not exist")
    if len({path.resolve() for path in output}) < len(output):
        problems.append("-o: the same file is named more than once")
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
        built = build_report(inputs, options)
        contents = [render(built, path.suffix.lower()) for path in output]
    except ReportInputError as error:
        raise fail("; ".join(error.problems)) from error
    for path, content in zip(output, contents, strict=True):
        _write_whole(path, content)
        typer.echo(f"wrote {path} ({len(content):,} bytes)")


def register(app: typer.Typer) -> None:
    """Add ``balm report`` to ``app``."""
    app.command(
        "report", help="The evaluation report (HTML, PDF, XLSX or JSON) from balm's exports."
    )(report)
