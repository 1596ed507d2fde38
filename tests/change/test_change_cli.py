"""``balm change``: output shapes and clear errors (exit code 2, nothing written)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from balm.cli import app

# Made up for these tests (lower is better), as in test_change_analysis.py: with r = .90
# JT gives recovered, improved, deteriorated, harmed, unchanged, unchanged at cut-off 10.
ROWS = [
    ("p1", 20, 5, "A"),
    ("p2", 20, 14, "A"),
    ("p3", 12, 20, "A"),
    ("p4", 8, 16, "B"),
    ("p5", 8, 9, "B"),
    ("p6", 14, 14, "B"),
    ("p7", 11, None, "B"),
]


@pytest.fixture
def csv(tmp_path: Path) -> Path:
    records = []
    for pid, pre, post, site in ROWS:
        records.append({"pid": pid, "visit": "pre", "score": pre, "site": site})
        records.append({"pid": pid, "visit": "post", "score": post, "site": site})
    path = tmp_path / "scores.csv"
    pd.DataFrame(records).to_csv(path, index=False)
    return path


BASE = ["--id", "pid", "--time", "visit", "--outcome", "score"]


def _run(*args: str | Path) -> object:
    return CliRunner().invoke(app, ["change", *(str(a) for a in args)])


def test_summary(csv: Path) -> None:
    """Readable summary: counts, defaults stated, parameters with sources."""
    result = _run(
        csv,
        *BASE,
        "--reliability",
        "0.9",
        "--better",
        "lower",
        "--cutoff",
        "published",
        "--cutoff-value",
        "10",
        "--group",
        "site",
    )
    assert result.exit_code == 0, result.stderr  # type: ignore[attr-defined]
    out = result.stdout  # type: ignore[attr-defined]
    assert "7 in the data, 6 analysed" in out
    assert "using combined" in out and "using jt" in out
    assert "first and last timepoints" in out
    assert "recovered" in out and "given" in out


def test_json_exact_shape(csv: Path) -> None:
    """--json prints exactly one JSON object of the documented shape."""
    result = _run(
        csv,
        *BASE,
        "--reliability",
        "0.9",
        "--better",
        "lower",
        "--cutoff-value",
        "10",
        "--group",
        "site",
        "--json",
    )
    assert result.exit_code == 0  # type: ignore[attr-defined]
    payload = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert payload == {
        "n_total": 7,
        "n_included": 6,
        "approach": "combined",
        "method": "jt",
        "cutoff": 10.0,
        "categories": {
            "recovered": 1,
            "improved": 1,
            "unchanged": 2,
            "deteriorated": 1,
            "harmed": 1,
        },
        "groups": {
            "A": {"recovered": 1, "improved": 1, "unchanged": 0, "deteriorated": 1, "harmed": 0},
            "B": {"recovered": 0, "improved": 0, "unchanged": 2, "deteriorated": 0, "harmed": 1},
        },
    }


def test_json_without_group_or_cutoff(csv: Path) -> None:
    """Distribution approach: cutoff null, groups {}."""
    result = _run(
        csv,
        *BASE,
        "--reliability",
        "0.9",
        "--better",
        "lower",
        "--approach",
        "distribution",
        "--json",
    )
    payload = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert payload["cutoff"] is None and payload["groups"] == {}
    assert payload["categories"]["recovered"] == 0


def test_change_criterion_mid(csv: Path) -> None:
    """--change-criterion mid: the combined approach with an MID (see test_change_analysis)."""
    result = _run(
        csv,
        *BASE,
        "--better",
        "lower",
        "--mid",
        "7",
        "--cutoff-value",
        "10",
        "--change-criterion",
        "mid",
        "--json",
    )
    payload = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert payload["method"] == "mid"
    assert payload["categories"]["recovered"] == 1 and payload["categories"]["harmed"] == 1


def test_output_file_and_plot(csv: Path, tmp_path: Path) -> None:
    """-o writes one row per participant; --plot writes an SVG."""
    out, svg = tmp_path / "out.csv", tmp_path / "plot.svg"
    result = _run(
        csv,
        *BASE,
        "--reliability",
        "0.9",
        "--better",
        "lower",
        "--cutoff-value",
        "10",
        "--group",
        "site",
        "-o",
        out,
        "--plot",
        svg,
    )
    assert result.exit_code == 0  # type: ignore[attr-defined]
    table = pd.read_csv(out)
    assert list(table.columns) == ["pid", "pre", "post", "change", "index", "category", "group"]
    assert len(table) == 7
    assert table.set_index("pid").loc["p1", "category"] == "recovered"
    assert table.set_index("pid").loc["p7", "category"] == "excluded"
    assert svg.read_text().lstrip().startswith("<?xml")


def test_sensitivity(csv: Path) -> None:
    """--sensitivity shows every method."""
    result = _run(
        csv,
        *BASE,
        "--reliability",
        "0.9",
        "--better",
        "lower",
        "--approach",
        "distribution",
        "--sensitivity",
    )
    assert result.exit_code == 0  # type: ignore[attr-defined]
    for method in ("jt", "gln", "en", "hll", "nk", "ha"):
        assert f" {method} " in result.stdout  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [
                "--id",
                "pid",
                "--time",
                "when",
                "--outcome",
                "score",
                "--reliability",
                "0.9",
                "--better",
                "lower",
            ],
            "the data has: pid, visit, score, site",
        ),
        (
            [*BASE, "--pre", "baseline", "--reliability", "0.9", "--better", "lower"],
            "it has: pre, post",
        ),
        ([*BASE, "--reliability", "1.2", "--better", "lower"], "between 0 and 1"),
        ([*BASE, "--reliability", "0", "--better", "lower"], "between 0 and 1"),
        ([*BASE, "--reliability", "0.9", "--better", "lower", "--cutoff", "c"], "--m-functional"),
        (
            [
                "--id",
                "pid",
                "--time",
                "visit",
                "--outcome",
                "site",
                "--reliability",
                "0.9",
                "--better",
                "lower",
            ],
            "not a number in rows 2, 3",
        ),
    ],
)
def test_errors_exit_2_and_write_nothing(
    csv: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    """Each user error: exit code 2, message on stderr, nothing on stdout, no files."""
    out, svg = tmp_path / "out.csv", tmp_path / "plot.svg"
    result = _run(csv, *args, "-o", out, "--plot", svg, "--json")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert message in " ".join(result.stderr.split())  # type: ignore[attr-defined]
    assert result.stdout == ""  # type: ignore[attr-defined]
    assert not out.exists() and not svg.exists()


def test_missing_file(tmp_path: Path) -> None:
    """A file that does not exist: exit 2."""
    result = _run(tmp_path / "nope.csv", *BASE)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "no such file" in result.stderr  # type: ignore[attr-defined]


def test_missing_direction_names_the_options(csv: Path) -> None:
    """Without --better or --instrument the error names those options, not library arguments."""
    result = _run(csv, *BASE, "--reliability", "0.9")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "--better lower or higher" in result.stderr  # type: ignore[attr-defined]
    assert "--instrument" in result.stderr  # type: ignore[attr-defined]
