"""Benchmark: data exchange (SQLite in a temporary folder, through the real import and export
code).

1. Past-cohort import of ``--past`` responses (default 20,000; goal under 30 s): a synthetic
   CSV of participants in groups of 12, each answering PHQ-9, GAD-7, DASS-21 and SCS-SF at
   four timepoints, read and checked (``balm.exchange.past``), then imported
   (``balm.outcomes.past_import.import_past``: every answer checked and scored by the engine,
   one transaction); then the same file again (nothing changes).
2. FHIR Bundle export of ``--fhir`` stored responses with their Observations (default
   10,000; goal under 5 s), with every resource validated by fhir.resources (each distinct
   element object once, as the export does) and written as JSON text; the whole export as
   the API and ``balm fhir export`` run it (read, build, validate, JSON text: the figure the
   goal is about); each resource validated from scratch (as it was once done), and built
   without validating (what validation costs).
3. REDCap records export of ``--redcap`` rows (default 50,000; goal under 30 s; PHQ-9 and
   GAD-7 per row): scored into the tidy table (``balm redcap tidy``), and imported into a
   second site as past groups (``balm redcap import``).

Prints the wall and CPU time of each step; nothing is asserted.

Usage: ``.venv/bin/python bench/exchange.py [--past 20000] [--fhir 10000] [--redcap 50000]
[--profile]`` (``--profile``: each step's cProfile, cumulative time, top 25).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

TIMEPOINTS = ("baseline", "mid", "end", "follow_up")
PAST_INSTRUMENTS = {"phq9": 9, "gad7": 7, "dass21": 21, "scs_sf": 12}


PROFILE = {"on": False}


def timed(label: str, step: Callable[[], Any]) -> Any:
    profiler = cProfile.Profile() if PROFILE["on"] else None
    wall, cpu = time.perf_counter(), time.process_time()
    result = step() if profiler is None else profiler.runcall(step)
    if profiler is not None:
        wall_s, cpu_s = time.perf_counter() - wall, time.process_time() - cpu
        print(f"--- profile of {label} (cumulative, top 25)")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        print(f"{label:<58} {wall_s:7.2f} s wall {cpu_s:7.2f} s CPU (profiled: slower)")
        return result
    print(
        f"{label:<58} {time.perf_counter() - wall:7.2f} s wall "
        f"{time.process_time() - cpu:7.2f} s CPU"
    )
    return result


def past_csv(path: Path, responses: int, rng: random.Random) -> int:
    import pandas as pd

    per_person = len(TIMEPOINTS) * len(PAST_INSTRUMENTS)
    people = max(1, responses // per_person)
    rows = []
    for person in range(people):
        group = person // 12
        start = date(2020, 1, 6) + timedelta(weeks=2 * group)
        for timepoint in TIMEPOINTS:
            row: dict[str, object] = {
                "participant": f"B{person:05d}",
                "cohort": f"Group {group:04d}",
                "cohort_start": start.isoformat(),
                "diagnosis": "fibromyalgia",
                "timepoint": timepoint,
            }
            for instrument, items in PAST_INSTRUMENTS.items():
                top = 5 if instrument == "scs_sf" else 3
                low = 1 if instrument == "scs_sf" else 0
                for item in range(1, items + 1):
                    row[f"{instrument}_q{item}"] = rng.randint(low, top)
            rows.append(row)
    pd.DataFrame(rows).to_csv(path, index=False)
    return people * per_person


def redcap_csv(path: Path, rows: int, rng: random.Random) -> None:
    import pandas as pd

    events = ["baseline_arm_1", "week_6_arm_1", "week_12_arm_1", "week_24_arm_1"]
    data: dict[str, list[object]] = {
        "record_id": [str(1 + n // 4) for n in range(rows)],
        "redcap_event_name": [events[n % 4] for n in range(rows)],
    }
    for item in range(1, 10):
        data[f"phq9_q{item}"] = [rng.randint(0, 3) for _ in range(rows)]
    for item in range(1, 8):
        data[f"gad7_q{item}"] = [rng.randint(0, 3) for _ in range(rows)]
    data["phq9_complete"] = [2] * rows
    pd.DataFrame(data).to_csv(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--past", type=int, default=20_000)
    parser.add_argument("--fhir", type=int, default=10_000)
    parser.add_argument("--redcap", type=int, default=50_000)
    parser.add_argument(
        "--profile", action="store_true", help="print each step's cProfile (cumulative)"
    )
    args = parser.parse_args()
    PROFILE["on"] = args.profile
    rng = random.Random(14)
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        os.environ.pop("DATABASE_URL", None)
        os.environ["BALM_DATA_DIR"] = folder_name
        os.environ["BALM_DEMO"] = "1"  # a throwaway secret key, as for the demo
        os.environ["DJANGO_SETTINGS_MODULE"] = "balm.web.settings"
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from balm.accounts.models import Site
        from balm.exchange.past import check_rows, read_file
        from balm.exchange.redcap import parse_map, past_table, read_records, tidy
        from balm.instruments.fhir_response import as_json, bundle, validate
        from balm.outcomes.fhir_exchange import response_records
        from balm.outcomes.models import Response
        from balm.outcomes.past_import import import_past
        from balm.programmes.models import DiagnosisCategory, Enrolment
        from balm.wording.models import PrintedOrder

        def site(slug: str) -> Site:
            made = Site.objects.create(name=slug, slug=slug, crisis_contacts="999")
            PrintedOrder.objects.create(site=made, instrument_id="cpaq8", variant="cpaq20_order")
            return made

        north = site("north")
        path = folder / "past.csv"
        planned = past_csv(path, args.past, rng)
        print(f"past cohorts: {planned} responses")

        def check() -> Any:
            return check_rows(read_file(path), diagnoses=DiagnosisCategory.values)

        checked = timed("past: read and check the file", check)
        result = timed(
            "past: import (check, score, write; one transaction)",
            lambda: import_past(site=north, rows=checked.rows, by=None),
        )
        print(f"  {result.responses} responses, {result.enrolments} enrolments written")
        again = timed(
            "past: the same file again (nothing changes)",
            lambda: import_past(site=north, rows=check().rows, by=None),
        )
        print(f"  {again.responses} written, {again.unchanged} unchanged")

        # Whole courses (every instrument and timepoint of a person), so the Bundle holds the
        # four questionnaires in their proportions.
        people = args.fhir // (len(TIMEPOINTS) * len(PAST_INSTRUMENTS))
        courses = Enrolment.objects.order_by("pk").values("pk")[:people]
        responses = Response.objects.filter(assessment__enrolment__in=courses)
        print(f"fhir: {responses.count()} responses")
        data = timed(
            f"fhir: Bundle of {args.fhir} responses, every resource validated",
            lambda: bundle(response_records(responses)),
        )
        print(f"  {len(data['entry'])} resources")
        timed("fhir: the Bundle as JSON text", lambda: as_json(data))
        data = None  # a process exporting holds one Bundle, not two
        text = timed(
            f"fhir: export of {args.fhir} responses (read, validated, JSON text)",
            lambda: as_json(bundle(response_records(responses))),
        )
        print(f"  {len(text.encode()) / 1e6:.1f} MB")
        del text

        def one_by_one() -> None:
            # What the export did before balm.instruments.fhir_response.Validator: every
            # resource validated from scratch by its model.
            for entry in bundle(response_records(responses), check="none")["entry"]:
                validate(entry["resource"])

        timed("fhir: the same, each resource validated from scratch", one_by_one)
        timed(
            f"fhir: Bundle of {args.fhir} responses, built without validating",
            lambda: bundle(response_records(responses), check="none"),
        )

        if args.redcap <= 0:
            return
        records_path = folder / "records.csv"
        redcap_csv(records_path, args.redcap, rng)
        mapping = parse_map(
            {
                "events": {
                    "baseline_arm_1": "baseline",
                    "week_6_arm_1": "mid",
                    "week_12_arm_1": "end",
                    "week_24_arm_1": "follow_up",
                },
                "cohort": "REDCap 2019",
                "cohort_start": "2019-01-07",
                "diagnosis": "back_spinal",
            }
        )
        records = timed(f"redcap: read {args.redcap} rows", lambda: read_records(records_path))
        frame = timed(
            "redcap: tidy (check and score into the tidy table)", lambda: tidy(records, mapping)
        )
        print(f"  {len(frame)} rows in the tidy table")
        south = site("south")

        def platform() -> Any:
            table = past_table(records, mapping)
            rows = check_rows(table, diagnoses=DiagnosisCategory.values).rows
            return import_past(site=south, rows=rows, by=None)

        imported = timed("redcap: import into a site (all or nothing)", platform)
        print(f"  {imported.responses} responses written")
        print("figures taken on a shared, loaded machine; rerun quietly for the record")


if __name__ == "__main__":
    main()
