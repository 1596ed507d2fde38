"""Benchmark: ``balm report`` on 1,000 participants in 80 cohorts at 4 sites, 6 questionnaires
(13 scores) at 4 timepoints, 13 weekly check-ins each, 12 sessions per cohort, and a
qualitative project of 30 coded interviews (about 1,300 words and 20 codings each).

Prints figures, asserts nothing (goals: HTML under 5 s, PDF under 20 s on one core). Run with
``taskset -c 0 python bench/report.py`` from the repository root for one core. Each step shows
wall time and the process's CPU time: on a shared machine the CPU time is the steadier figure.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.report_data import synthetic, synthetic_project

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
        from balm.qual import write_qdpx

        interviewed = sorted(data.scores["participant"].unique())[:30]
        paths["qual"] = Path(folder) / "interviews.qdpx"
        write_qdpx(synthetic_project(interviewed), paths["qual"])
        start, cpu = time.perf_counter(), time.process_time()
        inputs = read_inputs(
            paths["scores"],
            ReportOptions(),
            checkins=paths["checkins"],
            sessions=paths["sessions"],
            enrolments=paths["enrolments"],
            qual=paths["qual"],
        )
        read, read_cpu = time.perf_counter() - start, time.process_time() - cpu
        start, cpu = time.perf_counter(), time.process_time()
        report = build_report(inputs)
        built, built_cpu = time.perf_counter() - start, time.process_time() - cpu
        timings: dict[str, tuple[float, float]] = {}
        sizes = {}
        for name, render in (
            ("html", to_html),
            ("json", to_json),
            ("xlsx", to_xlsx),
            ("pdf", to_pdf),
        ):
            start, cpu = time.perf_counter(), time.process_time()
            out = render(report)
            timings[name] = (time.perf_counter() - start, time.process_time() - cpu)
            sizes[name] = len(out)
    print(f"{'step':<40} {'wall':>8}   {'CPU':>8}")
    print(f"{'read and check the five files':<40} {read:8.2f} s {read_cpu:8.2f} s")
    print(f"{'build the report (statistics, figures)':<40} {built:8.2f} s {built_cpu:8.2f} s")
    for name, (wall, used) in timings.items():
        print(f"{'render ' + name:<40} {wall:8.2f} s {used:8.2f} s {sizes[name]:>12,} bytes")
    for name, goal in (("html", 5), ("pdf", 20)):
        wall = read + built + timings[name][0]
        used = read_cpu + built_cpu + timings[name][1]
        print(f"{f'total to {name.upper()} (goal < {goal} s)':<40} {wall:8.2f} s {used:8.2f} s")


if __name__ == "__main__":
    main()
