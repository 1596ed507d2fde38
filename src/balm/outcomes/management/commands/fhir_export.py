"""``balm manage fhir_export SITE -o bundle.json [--cohort ID]`` (also ``balm fhir export``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from balm.audit.models import record
from balm.instruments.fhir_response import as_json, bundle
from balm.outcomes.command_support import site_and_user
from balm.outcomes.fhir_exchange import response_records
from balm.outcomes.models import Response


class Command(BaseCommand):
    help = "Write every response of a site (or one group) with its scores as a FHIR Bundle."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("site")
        parser.add_argument("-o", "--output", type=Path, required=True)
        parser.add_argument("--cohort", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        site, _ = site_and_user(options["site"], None)
        responses = Response.objects.filter(assessment__enrolment__cohort__site=site)
        if options["cohort"]:
            responses = responses.filter(assessment__enrolment__cohort_id=options["cohort"])
            if not responses.exists():
                raise CommandError(f"no responses of group {options['cohort']} at {site.slug}")
        data = bundle(response_records(responses), timestamp=timezone.now())
        options["output"].write_text(as_json(data), encoding="utf-8")
        record(
            "export.fhir",
            by=None,
            obj=site,
            site=site,
            details={"resources": len(data["entry"]), "cohort": options["cohort"]},
        )
        self.stdout.write(f"wrote {options['output']} ({len(data['entry'])} resources)")
