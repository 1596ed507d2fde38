"""Tests for ``balm trend`` (balm.cli.trend_cmd) through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from balm.change.mixed import fit_growth_model
from balm.cli import app

runner = CliRunner()


@pytest.fixture
def long_csv(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    """Long-format data shaped like claus_2020 (id, time, treatment, score)."""
    rng = np.random.default_rng(42)
    n, visits = 40, 5
    ids = np.repeat(np.arange(1, n + 1), visits)
    time = np.tile(np.arange(1, visits + 1), n)
    online = rng.integers(0, 2, n)
    level = rng.normal(30.0, 6.0, n)
    slope = rng.normal(-2.0, 1.0, n)
    bdi = level[ids - 1] + slope[ids - 1] * time + rng.normal(0.0, 3.0, n * visits)
    frame = pd.DataFrame(
        {
            "id": ids,
            "treatment": np.where(online[ids - 1] == 1, "online", "in_person"),
            "time": time,
            "bdi": bdi.round(1),
        }
    )
    frame = frame.drop(index=rng.choice(len(frame), 25, replace=False)).reset_index(drop=True)
    path = tmp_path / "long.csv"
    frame.to_csv(path, index=False)
    return path, pd.read_csv(path)


def _args(path: Path, *extra: str) -> list[str]:
    return ["trend", str(path), "--id", "id", "--time", "time", "--outcome", "bdi", *extra]


def test_trend_is_registered() -> None:
    assert "trend" in [command.name for command in app.registered_commands]


def test_table_output(long_csv: tuple[Path, pd.DataFrame]) -> None:
    path, _ = long_csv
    result = runner.invoke(app, _args(path))
    assert result.exit_code == 0, result.stderr
    for text in ("intercept", "time", "95% CI", "Wald", "SD intercept", "SD slope", "SD residual"):
        assert text in result.stdout


def test_json_output_is_one_object_with_the_documented_shape(
    long_csv: tuple[Path, pd.DataFrame],
) -> None:
    path, frame = long_csv
    result = runner.invoke(app, _args(path, "--json"))
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) == {"n_participants", "n_observations", "fixed_effects", "random_effects"}
    assert payload["n_participants"] == frame["id"].nunique()
    assert payload["n_observations"] == len(frame)
    assert list(payload["fixed_effects"]) == ["intercept", "time"]
    for entry in payload["fixed_effects"].values():
        assert set(entry) == {"estimate", "ci_low", "ci_high"}
        assert entry["ci_low"] < entry["estimate"] < entry["ci_high"]
    assert set(payload["random_effects"]) == {"sd_intercept", "sd_slope", "corr", "sd_residual"}
    expected = fit_growth_model(frame, id="id", time="time", outcome="bdi").to_dict()
    assert payload == json.loads(json.dumps(expected))


def test_json_with_by_and_ml(long_csv: tuple[Path, pd.DataFrame]) -> None:
    path, frame = long_csv
    result = runner.invoke(app, _args(path, "--by", "treatment", "--ml", "--json"))
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert list(payload["fixed_effects"]) == [
        "intercept",
        "time",
        "treatment[online]",
        "time:treatment[online]",
    ]
    expected = fit_growth_model(
        frame, id="id", time="time", outcome="bdi", by=["treatment"], reml=False
    ).to_dict()
    assert payload == json.loads(json.dumps(expected))
    reml = json.loads(runner.invoke(app, _args(path, "--by", "treatment", "--json")).stdout)
    assert reml["random_effects"]["sd_residual"] != payload["random_effects"]["sd_residual"]


def test_missing_column_exits_2_and_lists_columns(long_csv: tuple[Path, pd.DataFrame]) -> None:
    path, _ = long_csv
    result = runner.invoke(
        app, ["trend", str(path), "--id", "id", "--time", "week", "--outcome", "bdi"]
    )
    assert result.exit_code == 2
    assert "'week'" in result.stderr
    assert "columns present: 'id', 'treatment', 'time', 'bdi'" in result.stderr
    assert result.stdout == ""


def test_non_numeric_outcome_exits_2_and_names_lines(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,time,bdi\n1,1,20\n1,2,18\n2,1,25\n2,2,missing\n3,1,22\n3,2,19\n")
    result = runner.invoke(app, _args(path))
    assert result.exit_code == 2
    assert "outcome column 'bdi'" in result.stderr
    assert "line 5 ('missing')" in result.stderr


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, _args(tmp_path / "nope.csv"))
    assert result.exit_code == 2
    assert "nope.csv" in result.stderr
    assert "does not exist" in result.stderr


def test_too_few_participants_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("id,time,bdi\n1,1,20\n1,2,18\n1,3,15\n")
    result = runner.invoke(app, _args(path))
    assert result.exit_code == 2
    assert "at least 2 participants" in result.stderr


def test_boundary_fit_is_noted_on_stderr(tmp_path: Path) -> None:
    # Every participant's least-squares slope is exactly -0.5 (residuals are the
    # quadratic contrast over weeks 0..4), so the slope SD is estimated at 0.
    rng = np.random.default_rng(3)
    weeks = np.arange(5.0)
    quadratic = (weeks - 2.0) ** 2 - 2.0
    rows = [
        (pid, week, level - 0.5 * week + wiggle * q)
        for pid, level, wiggle in zip(
            range(25), rng.normal(20.0, 3.0, 25), rng.normal(0.0, 1.0, 25), strict=True
        )
        for week, q in zip(weeks, quadratic, strict=True)
    ]
    path = tmp_path / "flat.csv"
    pd.DataFrame(rows, columns=["id", "time", "bdi"]).to_csv(path, index=False)
    result = runner.invoke(app, _args(path))
    assert result.exit_code == 0, result.stderr
    assert "boundary (singular) fit" in result.stderr
    assert "SD slope 0" in result.stderr
    payload = json.loads(runner.invoke(app, _args(path, "--json")).stdout)
    assert payload["random_effects"]["sd_slope"] == 0.0
    assert payload["random_effects"]["corr"] is None
