"""``balm manage import_past SITE FILE [--dry-run] [--by USERNAME]``: a service's past groups
from a CSV or XLSX file (see ``balm.exchange.past`` for its columns), all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from balm.accounts.errors import InvalidInput
from balm.exchange.past import Checked, PastFileError, check_rows, read_file
from balm.outcomes.command_support import problems_error, site_and_user
from balm.outcomes.past_import import PastImport, import_past
from balm.programmes.models import DiagnosisCategory


def run_import(
    command: BaseCommand, site_slug: str, username: str | None, checked: Checked, dry: bool
) -> PastImport:
    """Import checked rows and say what happened, or raise a CommandError listing every
    problem (nothing written)."""
    site, user = site_and_user(site_slug, username)
    try:
        result = import_past(
            site=site, rows=checked.rows, by=user, dry_run=dry, file_problems=checked.problems
        )
    except InvalidInput as error:
        raise problems_error(error.problems) from error
    verb = "would import" if dry else "imported"
    command.stdout.write(
        f"{'dry run: ' if dry else ''}{verb} {result.responses} responses, "
        f"{result.enrolments} enrolments, {result.cohorts} groups, {result.participants} "
        f"participants; {result.unchanged} responses already there"
    )
    if result.safety_answers:
        command.stdout.write(
            f"{result.safety_answers} past safety answers imported without an alert"
        )
    return result


class Command(BaseCommand):
    help = "Import past groups (participants, groups, enrolments, answers) from CSV or XLSX."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("site", help="The site's short name (slug).")
        parser.add_argument("file", type=Path)
        parser.add_argument("--by", help="The administrator importing.")
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checked = check_rows(read_file(options["file"]), diagnoses=DiagnosisCategory.values)
        except PastFileError as error:
            raise problems_error(error.problems) from error
        run_import(self, options["site"], options["by"], checked, options["dry_run"])
