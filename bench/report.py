"""Benchmark: ``balm report`` on 1,000 participants in 80 cohorts at 4 sites, 6 questionnaires
(13 scores) at 4 timepoints, 13 weekly check-ins each, 12 sessions per cohort.

Prints figures, asserts nothing (goals: HTML under 5 s, PDF under 20 s on one core). Run with
``python bench/report.py`` from the repository root.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.report_data import synthetic

from balm.report import (
    ReportOptions,
    build_report,
    read_inputs,
    to_html,
    to_json,
    to_pdf,
    to_xlsx,
)


def main() -> None:
    data = synthetic(participants=1000, cohorts=80, sites=4)
    print(
        f"balm report benchmark: {data.scores['enrolment'].nunique():,} courses, "
        f"{len(data.scores):,} score rows x {data.scores.shape[1] - 8} scores, "
        f"{len(data.checkins):,} check-ins, {len(data.sessions):,} sessions"
    )
    with tempfile.TemporaryDirectory() as folder:
        paths = data.write(Path(folder))
        start = time.perf_counter()
        inputs = read_inputs(
            paths["scores"],
            ReportOptions(),
            checkins=paths["checkins"],
            sessions=paths["sessions"],
            enrolments=paths["enrolments"],
        )
        read = time.perf_counter() - start
        start = time.perf_counter()
        report = build_report(inputs)
        built = time.perf_counter() - start
        timings = {}
        sizes = {}
        for name, render in (
            ("html", to_html),
            ("json", to_json),
            ("xlsx", to_xlsx),
            ("pdf", to_pdf),
        ):
            start = time.perf_counter()
            out = render(report)
            timings[name] = time.perf_counter() - start
            sizes[name] = len(out)
    print(f"{'read and check the four files':<40} {read:8.2f} s")
    print(f"{'build the report (statistics, figures)':<40} {built:8.2f} s")
    for name, seconds in timings.items():
        print(f"{'render ' + name:<40} {seconds:8.2f} s  {sizes[name]:>12,} bytes")
    html = read + built + timings["html"]
    print(f"{'total to HTML (goal < 5 s)':<40} {html:8.2f} s")
    print(f"{'total to PDF (goal < 20 s)':<40} {read + built + timings['pdf']:8.2f} s")


if __name__ == "__main__":
    main()
