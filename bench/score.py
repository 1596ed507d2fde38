"""Benchmark: scoring PHQ-9 responses, from the engine alone to the whole ``balm score`` CLI.

Writes N synthetic PHQ-9 responses (default 1,000,000; an id column, two pass-through text
columns, about 1% blank answers) to a temporary CSV, then prints:

- pandas' time to read the CSV (default C engine, and the pyarrow engine), in this process;
- engine rows per second: ``score_matrix`` on an already-parsed answer matrix; ``score`` on
  an already-loaded numeric frame; and parse + score from text columns (as read from a CSV);
- the whole ``balm score`` CLI run (a subprocess writing to a temporary file), the start-up
  cost of the ``balm`` command alone, and a cold ``python -c "read_csv"`` subprocess;
- the ratios of the CLI time to the pandas read times.

Figures are printed, never asserted. Usage: ``.venv/bin/python bench/score.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv

from balm.instruments import get_instrument, parse_answers, score, score_matrix

ITEMS = [f"q{number}" for number in range(1, 10)]


def generate(path: Path, rows: int, seed: int = 2001) -> None:
    """Synthetic responses: answers 0-3, about 1% of answers blank."""
    rng = np.random.default_rng(seed)
    answers = rng.integers(0, 4, size=(rows, len(ITEMS))).astype(str).astype(object)
    answers[rng.random((rows, len(ITEMS))) < 0.01] = ""
    columns: dict[str, pa.Array] = {
        "id": pa.array([f"P{number:07d}" for number in range(rows)]),
        "site": pa.array(rng.choice(["north", "south, east", 'the "hub"'], size=rows)),
    }
    for position, item in enumerate(ITEMS):
        columns[item] = pa.array(answers[:, position], type=pa.string())
    columns["comment"] = pa.array(rng.choice(["", "ok", "felt better, thanks"], size=rows))
    pcsv.write_csv(pa.table(columns), path)


def best_of(repeats: int, work: Callable[[], object]) -> float:
    """The fastest of ``repeats`` runs, in seconds (the least disturbed by other load)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def run(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows, repeats = args.rows, args.repeats
    balm = str(Path(sys.executable).with_name("balm"))
    phq9 = get_instrument("phq9")

    with tempfile.TemporaryDirectory(prefix="balm-bench-") as folder:
        source = Path(folder) / "phq9.csv"
        target = Path(folder) / "scores.csv"
        generate(source, rows)
        size = source.stat().st_size / 1e6
        print(f"{rows:,} PHQ-9 responses, {size:.1f} MB CSV; best of {repeats} runs each")

        read_c = best_of(repeats, lambda: pd.read_csv(source))
        read_arrow = best_of(repeats, lambda: pd.read_csv(source, engine="pyarrow"))
        print(f"pandas read_csv, C engine:            {read_c:8.3f} s")
        print(f"pandas read_csv, pyarrow engine:      {read_arrow:8.3f} s")

        numbers = pd.read_csv(source)
        text = pd.read_csv(source, engine="pyarrow", dtype=str, keep_default_na=False)
        matrix, problems = parse_answers(phq9, text)
        if problems:  # the generated data are valid by construction
            raise SystemExit(f"generated data did not validate: {problems[0]}")

        matrix_time = best_of(repeats, lambda: score_matrix(phq9, matrix))
        frame_time = best_of(repeats, lambda: score("phq9", numbers))
        text_time = best_of(repeats, lambda: score("phq9", text))
        print(
            f"engine, score_matrix (parsed matrix): {matrix_time:8.3f} s"
            f"  {rows / matrix_time / 1e6:7.1f} M rows/s"
        )
        print(
            f"engine, score (numeric frame):        {frame_time:8.3f} s"
            f"  {rows / frame_time / 1e6:7.1f} M rows/s"
        )
        print(
            f"engine, parse + score from text:      {text_time:8.3f} s"
            f"  {rows / text_time / 1e6:7.1f} M rows/s"
        )

        cli_runs = [
            run([balm, "score", "phq9", str(source), "-o", str(target)]) for _ in range(repeats)
        ]
        cli = min(cli_runs)
        startup = min(run([balm, "--help"]) for _ in range(repeats))
        cold_read = min(
            run([sys.executable, "-c", f"import pandas; pandas.read_csv({str(source)!r})"])
            for _ in range(repeats)
        )
        print(
            f"balm score CLI (subprocess, to file): {cli:8.3f} s"
            f"  (median {statistics.median(cli_runs):.3f} s)"
        )
        print(f"balm start-up alone (balm --help):    {startup:8.3f} s")
        print(f"cold pandas read (python -c ...):     {cold_read:8.3f} s")
        print(f"ratio CLI / pandas read, C engine:    {cli / read_c:8.2f}")
        print(f"ratio CLI / pandas read, pyarrow:     {cli / read_arrow:8.2f}")
        print(f"ratio (CLI - start-up) / C read:      {(cli - startup) / read_c:8.2f}")
        print(f"ratio CLI / cold pandas read:         {cli / cold_read:8.2f}")


if __name__ == "__main__":
    main()
