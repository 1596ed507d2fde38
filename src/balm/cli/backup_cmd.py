"""``balm backup -o FILE`` and ``balm restore FILE``: the database balm is configured for
(DATABASE_URL, or SQLite in BALM_DATA_DIR), backed up while it serves (``balm.web.backup``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def _database() -> dict[str, object]:
    from balm.cli.web_cmd import _django, _use_data_dir

    _use_data_dir()
    _django({})
    from django.conf import settings

    return dict(settings.DATABASES["default"])


def backup_cmd(
    output: Annotated[Path, typer.Option("--output", "-o", help="The backup file to write.")],
) -> None:
    """Back up the database to FILE (SQLite: a database file; PostgreSQL: a pg_dump custom
    archive), safely while balm serves."""
    from balm.web.backup import BackupError, backup

    try:
        done = backup(_database(), output)
    except BackupError as error:
        typer.echo(f"balm backup: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"balm backup: {done.engine} database written to {done.path} ({done.size} bytes)")


def restore_cmd(
    backup_file: Annotated[Path, typer.Argument(help="A file written by balm backup.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Do not ask before replacing the database.")
    ] = False,
) -> None:
    """Replace the database's contents with a backup. Stop balm serve and balm worker first."""
    from balm.web.backup import BackupError, restore

    database = _database()
    if not yes and not typer.confirm(
        f"Replace everything in the database {database['NAME']} with {backup_file}?"
    ):
        raise typer.Exit(1)
    try:
        done = restore(database, backup_file)
    except BackupError as error:
        typer.echo(f"balm restore: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"balm restore: {done.engine} database restored from {backup_file}")


def register(app: typer.Typer) -> None:
    app.command("backup")(backup_cmd)
    app.command("restore")(restore_cmd)
