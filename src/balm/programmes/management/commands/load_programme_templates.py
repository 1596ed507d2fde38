"""``balm manage load_programme_templates [FILE ...] [--replace]``"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from balm.programmes.loader import data_path, load_template


class Command(BaseCommand):
    help = "Load programme templates from YAML (default: the shipped 12-week CFT programme)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("files", nargs="*", type=Path)
        parser.add_argument(
            "--replace", action="store_true", help="overwrite a template with the same slug"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for path in options["files"] or [data_path()]:
            with transaction.atomic():
                template, written = load_template(path, replace=options["replace"])
            verb = "loaded" if written else "kept existing"
            self.stdout.write(f"{verb}: {template.slug} ({template.name})")
