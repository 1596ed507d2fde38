"""Long schemathesis profile over the whole API (the short one runs in ``make test``).

Prints operations, examples tried, answers by status, server errors and schema violations
(each finding with a curl command to reproduce it). Asserts nothing. Run with
``python bench/fuzz_api.py [examples per operation, persona and mode] [seed]``; it runs the
test ``tests/web/test_api_fuzz.py`` on a fresh SQLite test database with those settings.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    examples = sys.argv[1] if len(sys.argv) > 1 else "25"
    seed = sys.argv[2] if len(sys.argv) > 2 else "2026"
    print(
        f"schemathesis, long profile: {examples} examples per operation, persona and mode;"
        f" seed {seed}"
    )
    env = {**os.environ, "BALM_FUZZ_EXAMPLES": examples, "BALM_FUZZ_SEED": seed}
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/web/test_api_fuzz.py::test_the_whole_schema_as_every_persona",
            "-q",
            "-s",
            "-n",
            "0",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:logging",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    report = done.stdout.split("\noperations: ", 1)
    if len(report) == 2:
        print("operations: " + report[1].split("\n====", 1)[0].rstrip(".\nF "))
    else:
        print(done.stdout[-4000:], done.stderr[-4000:])
    print(f"wall time: {time.perf_counter() - start:.0f} s (pytest exit {done.returncode})")
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
