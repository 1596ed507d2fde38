"""``balm convert``, ``balm redcap ...`` and ``balm fhir ...``: data in and out of balm.

``convert`` and ``redcap dictionary`` / ``redcap tidy`` are pure (files in, files out);
``fhir import``, ``fhir export`` and ``redcap import`` open the web app's database (as
``balm manage`` does) and run the management commands of the same names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from balm.cli.common import fail

redcap_app = typer.Typer(help="REDCap data dictionaries and records.", no_args_is_help=True)
fhir_app = typer.Typer(help="FHIR R4 Bundles of responses and scores.", no_args_is_help=True)


def convert(
    scores: Annotated[Path, typer.Argument(metavar="SCORES.csv", help="A tidy scores CSV.")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="scores.sav, scores.dta or scores.parquet")
    ],
) -> None:
    """Write a tidy scores table as SPSS (.sav), Stata (.dta) or Parquet, with variable and
    value labels (SPSS, Stata) or types (Parquet)."""
    import pandas as pd

    from balm.exchange.statfiles import StatFileError, read_scores_csv, write

    if not scores.is_file():
        raise fail(f"{scores}: no such file")
    try:
        frame = read_scores_csv(scores)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise fail(f"{scores}: cannot read as CSV ({error})") from error
    try:
        write(frame, output)
    except StatFileError as error:
        output.unlink(missing_ok=True)
        raise fail(f"{scores}: {error}") from error
    typer.echo(f"wrote {output} ({len(frame)} rows, {len(frame.columns)} columns)")


def _template_instruments(template: str) -> list[str]:
    from balm.accounts.errors import InvalidInput
    from balm.programmes.loader import data_path, read_template_file

    path = Path(template)
    if not path.is_file():
        path = data_path(f"{template}.yaml")
        if not path.is_file():
            raise fail(f"{template}: neither a template file nor a template balm ships")
    try:
        data = read_template_file(path)
    except InvalidInput as error:
        raise fail(f"{path}: {error}") from error
    return [entry["instrument_id"] for entry in data["schedule"]]


@redcap_app.command("dictionary")
def redcap_dictionary(
    template: Annotated[
        str, typer.Argument(help="A programme template file, or the slug of one balm ships.")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="dictionary.csv")],
) -> None:
    """A REDCap data dictionary for the template's questionnaires (one instrument each)."""
    from balm.exchange.redcap import dictionary_csv

    instruments = _template_instruments(template)
    output.write_text(dictionary_csv(instruments), encoding="utf-8")
    typer.echo(f"wrote {output} ({len(dict.fromkeys(instruments))} instruments)")


@redcap_app.command("tidy")
def redcap_tidy(
    records: Annotated[Path, typer.Argument(metavar="RECORDS.csv")],
    mapping: Annotated[Path, typer.Option("--map", help="map.yaml: events, records, cohort")],
    output: Annotated[Path, typer.Option("-o", "--output", help="scores.csv")],
    bands: Annotated[bool, typer.Option(help="Add each scale's band.")] = False,
) -> None:
    """Score a REDCap records export into balm's tidy table (for balm change and report)."""
    from balm.exchange.redcap import RedcapError, read_map, read_records, tidy

    if not records.is_file():
        raise fail(f"{records}: no such file")
    try:
        frame = tidy(read_records(records), read_map(mapping), bands=bands)
    except RedcapError as error:
        raise fail(f"{records}: {error}") from error
    frame.to_csv(output, index=False, lineterminator="\n")
    typer.echo(f"wrote {output} ({len(frame)} rows)")


def _manage(*args: str) -> None:
    import os

    from balm.cli.web_cmd import _use_data_dir

    _use_data_dir()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balm.web.settings")
    import django
    from django.core.management import call_command
    from django.core.management.base import CommandError

    django.setup()
    try:
        call_command(*args)
    except CommandError as error:
        raise fail(str(error)) from error


@redcap_app.command("import")
def redcap_import(
    site: Annotated[str, typer.Argument(help="The site's short name.")],
    records: Annotated[Path, typer.Argument(metavar="RECORDS.csv")],
    mapping: Annotated[Path, typer.Option("--map", help="map.yaml (with cohort and start)")],
    by: Annotated[str | None, typer.Option(help="The administrator importing.")] = None,
    dry_run: Annotated[bool, typer.Option(help="Check only; write nothing.")] = False,
) -> None:
    """Import a REDCap records export into a site, as a past cohort (all or nothing)."""
    args = ["redcap_import", site, str(records), "--map", str(mapping)]
    _manage(*args, *(["--by", by] if by else []), *(["--dry-run"] if dry_run else []))


@fhir_app.command("import")
def fhir_import(
    bundle: Annotated[Path, typer.Argument(metavar="BUNDLE.json")],
    site: Annotated[str, typer.Option(help="The site's short name.")],
    by: Annotated[str | None, typer.Option(help="The clinical staff member importing.")] = None,
    dry_run: Annotated[bool, typer.Option(help="Check only; write nothing.")] = False,
) -> None:
    """Import the QuestionnaireResponses of a FHIR Bundle (entry mode import; idempotent)."""
    _manage(
        "fhir_import",
        site,
        str(bundle),
        *(["--by", by] if by else []),
        *(["--dry-run"] if dry_run else []),
    )


@fhir_app.command("export")
def fhir_export(
    site: Annotated[str, typer.Option(help="The site's short name.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="bundle.json")],
    cohort: Annotated[int | None, typer.Option(help="Only this group (its id).")] = None,
) -> None:
    """Every response of a site (or group) and its scores as a FHIR Bundle."""
    _manage("fhir_export", site, "-o", str(output), *(["--cohort", str(cohort)] if cohort else []))


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("convert")(convert)
    app.add_typer(redcap_app, name="redcap")
    app.add_typer(fhir_app, name="fhir")
