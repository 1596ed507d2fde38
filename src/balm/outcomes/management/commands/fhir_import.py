"""``balm manage fhir_import SITE BUNDLE.json [--by USERNAME] [--dry-run]`` (also
``balm fhir import``): file a FHIR Bundle's QuestionnaireResponses at a site."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from balm.accounts.errors import InvalidInput
from balm.outcomes.command_support import problems_error, site_and_user
from balm.outcomes.fhir_exchange import import_fhir


class Command(BaseCommand):
    help = "Import a FHIR Bundle (or one QuestionnaireResponse) of answers into a site."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("site", help="The site's short name (slug).")
        parser.add_argument("bundle", type=Path)
        parser.add_argument("--by", help="The user importing (clinical staff of the site).")
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        site, user = site_and_user(options["site"], options["by"])
        path: Path = options["bundle"]
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise CommandError(f"{path}: cannot read as JSON ({error})") from error
        if not isinstance(data, dict):
            raise CommandError(f"{path}: not a FHIR resource (a JSON object)")
        try:
            result = import_fhir(site=site, data=data, by=user, dry_run=options["dry_run"])
        except InvalidInput as error:
            raise problems_error(error.problems) from error
        if options["dry_run"]:
            self.stdout.write(
                f"dry run: {len(result.planned)} to import, {len(result.repeated)} already there"
            )
        else:
            self.stdout.write(
                f"imported {len(result.created)}, {len(result.repeated)} already there"
            )
