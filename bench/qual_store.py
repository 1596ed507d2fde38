"""Benchmark: the demo interview set into and out of the database (SQLite in a temporary
folder, through the actions layer).

Migrates a fresh database, makes a site with the twelve demo participants, then times, over
``--repeats`` runs: building the demo set as a ``balm.qual.Project`` (reading seven
transcripts and the YAML files), ``import_project`` (pseudonymising seven transcripts and
storing 250 codings and 29 themes, one transaction), ``export_project`` (rows back to a
Project) and ``write_qdpx``. Prints the median wall and CPU time of each step; nothing is
asserted.

Usage: ``.venv/bin/python bench/qual_store.py [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def timed(step: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = step()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ.pop("DATABASE_URL", None)
        os.environ["BALM_DATA_DIR"] = folder
        os.environ["BALM_DEMO"] = "1"  # a throwaway secret key, as for the demo
        os.environ["DJANGO_SETTINGS_MODULE"] = "balm.web.settings"
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from balm.accounts.models import Participant, Site
        from balm.qual.refi import write_qdpx
        from balm.qualitative.actions import export_project, import_project
        from balm.qualitative.demo_set import demo_project, planted_terms
        from balm.web.demo import PSEUDONYMS

        site = Site.objects.create(name="Bench", slug="bench", crisis_contacts="999")
        for n, pseudonym in enumerate(PSEUDONYMS, start=1):
            Participant.objects.create(site=site, pseudonym=pseudonym, name=f"Bench person {n}")
        times: dict[str, list[tuple[float, float]]] = {}
        for run in range(args.repeats):
            project, *t = timed(demo_project)
            times.setdefault("build demo Project", []).append(tuple(t))  # type: ignore[arg-type]
            result, *t = timed(
                lambda p=project, r=run: import_project(
                    site=site, project=p, name=f"run {r}", terms=planted_terms(), by=None
                )
            )
            times.setdefault("import_project", []).append(tuple(t))  # type: ignore[arg-type]
            out, *t = timed(lambda q=result.project: export_project(project=q, by=None))
            times.setdefault("export_project", []).append(tuple(t))  # type: ignore[arg-type]
            path = Path(folder) / f"run{run}.qdpx"
            _, *t = timed(lambda o=out, p=path: write_qdpx(o, p))
            times.setdefault("write_qdpx", []).append(tuple(t))  # type: ignore[arg-type]
        print(f"demo set: 7 sources, 250 codings, 29 themes; {args.repeats} runs, medians")
        for step, values in times.items():
            wall = statistics.median(v[0] for v in values) * 1000
            cpu = statistics.median(v[1] for v in values) * 1000
            print(f"  {step:<20} {wall:8.1f} ms wall {cpu:8.1f} ms CPU")


if __name__ == "__main__":
    main()
