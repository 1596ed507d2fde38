"""``balm manage load_programme_templates [FILE ...] [--replace]``

Loads programme templates from YAML files (default: the shipped 12-week CFT programme). Every
file is read and checked first (:func:`balm.programmes.loader.read_template_file`); if any is
malformed, nothing is loaded and the command fails listing every problem of every bad file, one
a line under its file name. Otherwise all are written in one transaction. A template whose slug
exists is kept as it is (administrators' edits survive a re-run) unless ``--replace`` is given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from balm.programmes.loader import TemplateFileError, data_path, read_template_file, save_template


class Command(BaseCommand):
    help = (
        "Load programme templates from YAML (default: the shipped 12-week CFT programme). "
        "Nothing is loaded if any file has a problem; every problem is listed."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("files", nargs="*", type=Path)
        parser.add_argument(
            "--replace", action="store_true", help="overwrite a template with the same slug"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        paths = options["files"] or [data_path()]
        read, failed = [], []
        for path in paths:
            try:
                read.append(read_template_file(path))
            except TemplateFileError as error:
                failed.append(error)
        if failed:  # every problem of every bad file, one a line
            lines = ["Nothing was loaded."] if len(paths) > 1 else []
            for error in failed:
                lines.append(f"{error.source} was not loaded:")
                lines += [f"  {p.field}: {p.message}" for p in error.problems]
            raise CommandError("\n".join(lines))
        with transaction.atomic():
            saved = [save_template(data, replace=options["replace"]) for data in read]
        for template, written in saved:
            verb = "loaded" if written else "kept existing"
            self.stdout.write(f"{verb}: {template.slug} ({template.name})")
