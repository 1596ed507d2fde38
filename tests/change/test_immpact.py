"""IMMPACT thresholds (Dworkin et al. 2008, J Pain 9(2):105-121, Table 1): pain intensity on a
0-10 NRS, decreases of 10-20% minimally, 30% or more moderately, 50% or more substantially
important; BPI interference, a 1-point decrease minimally important. Expected categories are
worked by hand below from those thresholds, never read from the code or the data file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from balm.change import ChangeInputError, immpact_change, immpact_domain_for
from balm.cli import app

# id: (pre, post), expected pain-intensity category, worked by hand
NRS = {
    "a": ((8, 4), "substantial"),  # (8 - 4) / 8 = 50% -> at least 50%
    "b": ((7, 4.9), "moderate"),  # 2.1 / 7 = 30% exactly -> at least 30%
    "c": ((6, 4.5), "minimal"),  # 1.5 / 6 = 25%: at least 10%, below 30%
    "d": ((10, 9), "minimal"),  # 1 / 10 = 10% exactly
    "e": ((10, 9.5), "not_important"),  # 5%
    "f": ((5, 5), "not_important"),  # no change
    "g": ((4, 6), "increased"),  # higher at post
    "h": ((9, 4.6), "moderate"),  # 4.4 / 9 = 48.9%: below 50%
}


def long_data(cases: dict[str, tuple[tuple[float, float], str]]) -> pd.DataFrame:
    rows = []
    for pid, ((pre, post), _) in cases.items():
        rows.append({"id": pid, "time": "pre", "pain": pre})
        rows.append({"id": pid, "time": "post", "pain": post})
    return pd.DataFrame(rows)


def test_pain_intensity_hand_worked() -> None:
    result = immpact_change(long_data(NRS), id="id", time="time", outcome="pain", instrument="nrs")
    assert result.domain == "pain_intensity"
    got = result.participants["category"].astype(str).to_dict()
    assert got == {pid: expected for pid, (_, expected) in NRS.items()}
    assert result.counts() == {
        "substantial": 1,
        "moderate": 2,
        "minimal": 2,
        "not_important": 2,
        "increased": 1,
    }
    assert result.participants.loc["c", "decrease"] == pytest.approx(0.25)


def test_interference_points_hand_worked() -> None:
    """BPI interference: 6 -> 5 is a 1-point decrease (minimal); 6 -> 5.5 is 0.5 (not
    important); 3 -> 4 increased; a zero baseline is fine for points (0 -> 0 no change)."""
    cases = {
        "a": ((6, 5), "minimal"),
        "b": ((6, 5.5), "not_important"),
        "c": ((3, 4), "increased"),
        "d": ((0, 0), "not_important"),
    }
    result = immpact_change(
        long_data(cases), id="id", time="time", outcome="pain", instrument="bpi_sf",
        scale="interference",
    )  # fmt: skip
    assert result.domain == "interference"
    assert result.participants["category"].astype(str).to_dict() == {
        pid: expected for pid, (_, expected) in cases.items()
    }
    assert set(result.counts()) == {"minimal", "not_important", "increased"}


def test_zero_baseline_percentage_is_excluded_and_counted() -> None:
    cases = {"a": ((8, 4), "substantial"), "z": ((0, 2), "")}
    result = immpact_change(
        long_data(cases), id="id", time="time", outcome="pain", domain="pain_intensity"
    )
    assert (result.n_total, result.n_included, result.n_zero_baseline) == (2, 1, 1)
    assert pd.isna(result.participants.loc["z", "category"])
    assert any("zero baseline" in note for note in result.notes)


def test_domain_rules() -> None:
    data = long_data(NRS)
    assert immpact_domain_for("nrs") == "pain_intensity"
    assert immpact_domain_for("peg") is None
    with pytest.raises(ChangeInputError, match="peg/total is not an IMMPACT measure"):
        immpact_change(data, id="id", time="time", outcome="pain", instrument="peg")
    with pytest.raises(ChangeInputError, match="not 'interference'"):
        immpact_change(
            data, id="id", time="time", outcome="pain", instrument="nrs", domain="interference"
        )
    with pytest.raises(ChangeInputError, match="must be one of"):
        immpact_change(data, id="id", time="time", outcome="pain", domain="mood")
    # PEG is not an IMMPACT measure, but a researcher may apply a domain explicitly.
    explicit = immpact_change(
        data, id="id", time="time", outcome="pain", instrument="peg", domain="pain_intensity"
    )
    assert explicit.n_included == 8


def test_scores_outside_0_to_10_are_refused() -> None:
    data = long_data({"a": ((12, 4), "")})
    with pytest.raises(ChangeInputError, match="0-10"):
        immpact_change(data, id="id", time="time", outcome="pain", domain="pain_intensity")


def test_source_is_stated() -> None:
    result = immpact_change(long_data(NRS), id="id", time="time", outcome="pain", instrument="nrs")
    moderate = next(p for p in result.parameters if p.name == "pain_intensity_moderate")
    assert moderate.value == 0.3 and "Dworkin" in moderate.source and "105-121" in moderate.source


# --- the command ---------------------------------------------------------------------


@pytest.fixture
def csv(tmp_path: Path) -> Path:
    path = tmp_path / "pain.csv"
    long_data(NRS).to_csv(path, index=False)
    return path


BASE = ["--id", "id", "--time", "time", "--outcome", "pain", "--approach", "immpact"]


def test_cli_text(csv: Path) -> None:
    result = CliRunner().invoke(app, ["change", str(csv), *BASE, "--instrument", "nrs"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "IMMPACT thresholds (pain_intensity)" in out
    assert "moderate │ 2 │ 25.0" in out  # 2 of 8
    assert "pain_intensity_substantial │ 0.5 │" in out


def test_cli_json(csv: Path) -> None:
    result = CliRunner().invoke(
        app, ["change", str(csv), *BASE, "--immpact-domain", "pain_intensity", "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["approach"] == "immpact"
    assert summary["categories"] == {
        "substantial": 1, "moderate": 2, "minimal": 2, "not_important": 2, "increased": 1,
    }  # fmt: skip


def test_cli_peg_says_why(csv: Path) -> None:
    result = CliRunner().invoke(app, ["change", str(csv), *BASE, "--instrument", "peg"])
    assert result.exit_code == 2
    assert "give --immpact-domain" in result.stderr  # type: ignore[attr-defined]


def test_definitions_file_is_checked() -> None:
    """Levels must run from the largest down, and percentages are proportions."""
    from pydantic import ValidationError

    from balm.change.outcome_definitions import ImmpactDomain

    level = {"description": "made up"}
    base = {"description": "d", "kind": "percent_decrease", "applies_to": []}
    with pytest.raises(ValidationError, match="largest threshold down"):
        ImmpactDomain.model_validate(
            {**base, "levels": [{**level, "label": "minimal", "at_least": 0.1},
                                {**level, "label": "moderate", "at_least": 0.3}]}
        )  # fmt: skip
    with pytest.raises(ValidationError, match="proportions"):
        ImmpactDomain.model_validate(
            {**base, "levels": [{**level, "label": "moderate", "at_least": 30}]}
        )
