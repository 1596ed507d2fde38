"""``balm manage load_programme_templates [FILE ...] [--replace]``"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from balm.programmes.loader import TemplateFileError, data_path, load_template


class Command(BaseCommand):
    help = "Load programme templates from YAML (default: the shipped 12-week CFT programme)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("files", nargs="*", type=Path)
        parser.add_argument(
            "--replace", action="store_true", help="overwrite a template with the same slug"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for path in options["files"] or [data_path()]:
            try:
                with transaction.atomic():
                    template, written = load_template(path, replace=options["replace"])
            except TemplateFileError as error:  # every problem of the file, one a line
                lines = [f"{error.source} was not loaded:"]
                lines += [f"  {p.field}: {p.message}" for p in error.problems]
                raise CommandError("\n".join(lines)) from error
            verb = "loaded" if written else "kept existing"
            self.stdout.write(f"{verb}: {template.slug} ({template.name})")
