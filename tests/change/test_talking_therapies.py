"""NHS Talking Therapies outcomes from PHQ-9 and GAD-7, checked against hand-worked cases.

Definitions (NHS Talking Therapies Manual / IAPT data handbook, as in balm issue #9; see
outcome_definitions/talking_therapies.yaml for what was confirmed): case = PHQ-9 >= 10 or
GAD-7 >= 8; reliable change = PHQ-9 change of 6 or more, GAD-7 change of 4 or more;
recovery = case at pre and not a case at post; reliable improvement = a reliable decrease on
at least one measure and no reliable increase on the other; reliable deterioration = the
mirror; reliable recovery = recovery and reliable improvement. The expected categories below
are worked by hand from these rules, never read from the code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from balm.change import ChangeInputError, talking_therapies, talking_therapies_definitions
from balm.cli import app

# id: (PHQ-9 pre, PHQ-9 post, GAD-7 pre, GAD-7 post), expected category, worked by hand
CASES = {
    # PHQ 15->4 (down 11 >= 6, reliable), GAD 12->3 (down 9 >= 4). Case at pre (15 >= 10);
    # post: 4 < 10 and 3 < 8, not a case -> recovery; reliable decrease, no increase -> RI.
    "a": ((15, 4, 12, 3), "reliable_recovery"),
    # PHQ 16->11 (down 5 < 6, not reliable), GAD 14->9 (down 5 >= 4, reliable), no reliable
    # increase -> RI. Post PHQ 11 >= 10: still a case -> no recovery.
    "b": ((16, 11, 14, 9), "reliable_improvement"),
    # PHQ 10->9 (down 1), GAD 7->6 (down 1): no reliable change. Case at pre (PHQ 10 >= 10),
    # post 9 < 10 and 6 < 8 -> recovery without reliable improvement.
    "c": ((10, 9, 7, 6), "recovery"),
    # PHQ 5->11 (up 6 >= 6, reliable increase), GAD 3->4 (up 1): no reliable decrease ->
    # reliable deterioration. Not a case at pre (5 < 10, 3 < 8).
    "d": ((5, 11, 3, 4), "reliable_deterioration"),
    # PHQ 14->7 (down 7, reliable), GAD 2->6 (up 4, reliable): the increase on GAD-7 blocks
    # reliable improvement, and the decrease on PHQ-9 blocks reliable deterioration. Case at
    # pre (14); post 7 < 10 and 6 < 8 -> recovery (not reliable).
    "e": ((14, 7, 2, 6), "recovery"),
    # PHQ 12->12, GAD 9->9: a case at pre and post, no change.
    "f": ((12, 12, 9, 9), "no_reliable_change"),
    # PHQ 10->9 (down 1), GAD 2->7 (up 5 >= 4, reliable increase, no reliable decrease on
    # PHQ-9) -> reliable deterioration; it is also a recovery (case at pre by PHQ 10; post 9
    # and 7 below both cut-offs): deterioration is counted first.
    "g": ((10, 9, 2, 7), "reliable_deterioration"),
    # Boundaries: PHQ 9 is not a case, GAD 8 is (>= 8). PHQ 9->3 (down 6, exactly reliable),
    # GAD 8->4 (down 4, exactly reliable) -> RI; case at pre by GAD 8; post not a case ->
    # reliable recovery.
    "h": ((9, 3, 8, 4), "reliable_recovery"),
}


def long_data(cases: dict[str, tuple[tuple[int, int, int, int], str]]) -> pd.DataFrame:
    rows = []
    for pid, ((d_pre, d_post, a_pre, a_post), _) in cases.items():
        rows.append({"id": pid, "time": "pre", "phq": d_pre, "gad": a_pre})
        rows.append({"id": pid, "time": "post", "phq": d_post, "gad": a_post})
    return pd.DataFrame(rows)


def test_hand_worked_categories() -> None:
    result = talking_therapies(long_data(CASES), id="id", time="time", phq9="phq", gad7="gad")
    got = result.participants["category"].astype(str).to_dict()
    assert got == {pid: expected for pid, (_, expected) in CASES.items()}


def test_flags_and_rates() -> None:
    """By hand from CASES: cases at pre a, b, c, e, f, g, h (7; d is not a case).
    recovery: a, c, e, g, h = 5 of 7; reliable recovery: a, h = 2 of 7;
    reliable improvement: a, b, h = 3 of 8; reliable deterioration: d, g = 2 of 8."""
    result = talking_therapies(long_data(CASES), id="id", time="time", phq9="phq", gad7="gad")
    assert result.n_included == 8 and result.n_cases_pre == 7
    table = result.participants
    assert sorted(table.index[table["recovery"]]) == ["a", "c", "e", "g", "h"]
    assert sorted(table.index[table["reliable_improvement"]]) == ["a", "b", "h"]
    rates = result.rates()
    assert rates["recovery"] == pytest.approx(5 / 7)
    assert rates["reliable_recovery"] == pytest.approx(2 / 7)
    assert rates["reliable_improvement"] == pytest.approx(3 / 8)
    assert rates["reliable_deterioration"] == pytest.approx(2 / 8)
    assert result.counts() == {
        "reliable_recovery": 2,
        "reliable_improvement": 1,
        "recovery": 2,
        "no_reliable_change": 1,
        "reliable_deterioration": 2,
    }


def test_missing_measure_excludes_the_participant() -> None:
    """A participant without GAD-7 at post is excluded and counted; nothing is filled in."""
    data = long_data({"a": CASES["a"], "b": CASES["b"]})
    data.loc[(data["id"] == "b") & (data["time"] == "post"), "gad"] = None
    result = talking_therapies(data, id="id", time="time", phq9="phq", gad7="gad")
    assert (result.n_total, result.n_included) == (2, 1)
    assert pd.isna(result.participants.loc["b", "category"])
    assert not result.participants.loc["b", "recovery"]


def test_sources_are_stated() -> None:
    result = talking_therapies(long_data(CASES), id="id", time="time", phq9="phq", gad7="gad")
    by_name = {p.name: p for p in result.parameters}
    assert (
        by_name["phq9_caseness"].value == 10
        and "Talking Therapies" in by_name["phq9_caseness"].source
    )
    assert by_name["gad7_reliable_change"].value == 4
    spec = talking_therapies_definitions()
    assert "NOT CONFIRMED" not in spec.source  # the file's comments carry the detail
    assert "not re-read" in spec.source


@pytest.mark.parametrize(
    ("change", "message"),
    [({"phq": 28}, "between 0 and 27"), ({"gad": -1}, "between 0 and 21")],
)
def test_scores_out_of_range_are_refused(change: dict[str, int], message: str) -> None:
    data = long_data({"a": CASES["a"]})
    for column, value in change.items():
        data.loc[0, column] = value
    with pytest.raises(ChangeInputError, match=message):
        talking_therapies(data, id="id", time="time", phq9="phq", gad7="gad")


def test_no_complete_pair_is_an_error() -> None:
    data = long_data({"a": CASES["a"]})
    data["gad"] = None
    with pytest.raises(ChangeInputError, match="no participant has both"):
        talking_therapies(data, id="id", time="time", phq9="phq", gad7="gad")


# --- the command ---------------------------------------------------------------------


@pytest.fixture
def csv(tmp_path: Path) -> Path:
    path = tmp_path / "pair.csv"
    long_data(CASES).to_csv(path, index=False)
    return path


def test_cli_text(csv: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["change", str(csv), "--id", "id", "--time", "time", "--approach",
         "talking-therapies", "--phq9", "phq", "--gad7", "gad"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "8 analysed; 7 case(s) at pre" in out
    assert "reliable_recovery │ 2 │ 25.0" in out  # 2 of 8
    assert "recovery │ 71.4 │ cases at pre" in out  # 5 of 7
    assert "phq9_caseness │ 10 │ NHS Talking Therapies" in out


def test_cli_json_and_output(csv: Path, tmp_path: Path) -> None:
    out_csv = tmp_path / "per.csv"
    result = CliRunner().invoke(
        app,
        ["change", str(csv), "--id", "id", "--time", "time", "--approach",
         "talking-therapies", "--phq9", "phq", "--gad7", "gad", "--json", "-o", str(out_csv)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["categories"]["reliable_deterioration"] == 2
    assert summary["rates"]["reliable_improvement"] == pytest.approx(3 / 8)
    assert summary["n_cases_pre"] == 7
    written = pd.read_csv(out_csv)
    assert dict(zip(written["id"], written["category"], strict=True))["e"] == "recovery"


def test_cli_needs_both_columns(csv: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["change", str(csv), "--id", "id", "--time", "time", "--approach",
         "talking-therapies", "--phq9", "phq"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "needs both --phq9 and --gad7" in result.stderr  # type: ignore[attr-defined]
