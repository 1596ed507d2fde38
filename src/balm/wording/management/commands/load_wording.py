"""``balm manage load_wording SITE [FILE.yaml|csv] [--instrument ID] [--variant NAME] [--online]
[licence options]``

Loads a site's licensed wording of one catalogue instrument as its next version. The file is
checked against the catalogue first; if anything is wrong nothing is loaded and every problem
is listed, one a line. The licence is recorded from the file's ``licence`` section or from
``--granted-by``, ``--granted-on`` and ``--use`` (not both); ``--licence-file`` keeps a copy
of the licence itself. ``--variant`` declares the printed order of the form the wording comes
from, for an instrument whose order the catalogue could not confirm (CPAQ-8); ``--variant``
alone (no FILE) only declares it. Run by whoever runs the server (audited as the system).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from balm.accounts.errors import InvalidInput
from balm.accounts.models import Site
from balm.wording import actions
from balm.wording.files import read_wording_file


class Command(BaseCommand):
    help = "Load a site's licensed wording of an instrument (YAML or CSV); all or nothing."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("site", help="the site's slug")
        parser.add_argument("file", type=Path, nargs="?", default=None)
        parser.add_argument(
            "--variant",
            default=None,
            help="the printed order of the site's form (an instrument that needs one: CPAQ-8)",
        )
        parser.add_argument("--instrument", default="", help="needed for a CSV file")
        parser.add_argument(
            "--online", action="store_true", help="let the site's participants answer it online"
        )
        parser.add_argument("--granted-by", default="")
        parser.add_argument("--granted-on", default="", help="YYYY-MM-DD")
        parser.add_argument("--use", default="", help="what the licence allows")
        parser.add_argument("--licence-file", type=Path, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        site = Site.objects.filter(slug=options["site"]).first()
        if site is None:
            known = ", ".join(Site.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No site {options['site']!r}. Sites: {known}.")
        path: Path | None = options["file"]
        if path is None:
            self._declare_only(site, options)
            return
        licence_path: Path | None = options["licence_file"]
        for given in (path, licence_path):
            if given is not None and not given.is_file():
                raise CommandError(f"{given} is not a file.")
        licence = {
            "granted_by": options["granted_by"],
            "granted_on": options["granted_on"],
            "use": options["use"],
        }
        try:
            instrument_id, data = read_wording_file(
                path.name, path.read_bytes(), options["instrument"]
            )
            wording = actions.load_wording(
                site=site,
                instrument_id=instrument_id,
                data=data,
                by=None,
                source_name=path.name,
                licence=licence if any(licence.values()) else None,
                licence_file=licence_path.read_bytes() if licence_path else None,
                licence_file_name=licence_path.name if licence_path else "",
                variant=options["variant"],
            )
            if options["online"]:
                actions.enable_online(site=site, instrument_id=instrument_id, by=None)
        except InvalidInput as error:
            lines = [f"{path} was not loaded:"]
            lines += [
                f"  {p.field}: {p.message}" if p.field else f"  {p.message}" for p in error.problems
            ]
            raise CommandError("\n".join(lines)) from None
        online = "; answered online" if options["online"] else ""
        self.stdout.write(f"loaded: {wording}{online}")

    def _declare_only(self, site: Site, options: dict[str, Any]) -> None:
        if not options["variant"] or not options["instrument"]:
            raise CommandError("Give a wording FILE, or --instrument and --variant to declare.")
        try:
            row = actions.declare_printed_order(
                site=site, instrument_id=options["instrument"], variant=options["variant"], by=None
            )
        except InvalidInput as error:
            raise CommandError("\n".join(p.message for p in error.problems)) from None
        self.stdout.write(f"declared: {row}")
