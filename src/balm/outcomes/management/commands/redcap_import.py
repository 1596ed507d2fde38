"""``balm manage redcap_import SITE RECORDS.csv --map map.yaml [--dry-run] [--by USERNAME]``
(also ``balm redcap import``): a REDCap records export imported as past groups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from balm.exchange.past import PastFileError, check_rows
from balm.exchange.redcap import RedcapError, past_table, read_map, read_records
from balm.outcomes.command_support import problems_error
from balm.outcomes.management.commands.import_past import run_import
from balm.programmes.models import DiagnosisCategory


class Command(BaseCommand):
    help = "Import a REDCap records export (flat CSV) through a mapping, all or nothing."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("site")
        parser.add_argument("records", type=Path)
        parser.add_argument("--map", type=Path, required=True, dest="mapping")
        parser.add_argument("--by")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            table = past_table(read_records(options["records"]), read_map(options["mapping"]))
            checked = check_rows(table, diagnoses=DiagnosisCategory.values)
        except (RedcapError, PastFileError) as error:
            raise problems_error(error.problems) from error
        run_import(self, options["site"], options["by"], checked, options["dry_run"])
