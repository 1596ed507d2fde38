"""Norms per scale of the study's instruments, and what ``balm change`` does without them.

Policy (balm issue #9): every scale of the default programme's instruments either has a
functional norm with a source or says in the catalogue why there is none (``norms_missing``);
without norms, an automatic cut-off is not invented from the sample alone: a published
cut-off in the catalogue (PHQ-9 10, GAD-7 8) judges recovery, and otherwise the combined
approach reports reliable change only and says why.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from balm.change import MissingParameterError, analyse_change
from balm.cli import app
from balm.instruments import get_instrument

# The default 12-week programme's schedule (src/balm/programmes/data/cft-persistent-pain-12.yaml)
# plus the pain ratings of the check-in and the PEG.
STUDY = ("phq9", "gad7", "dass21", "pdi", "cpaq8", "fscrs", "scs_sf", "pseq", "nrs", "peg")


@pytest.mark.parametrize("instrument", STUDY)
def test_every_scale_has_norms_or_says_why(instrument: str) -> None:
    for scale in get_instrument(instrument).scales:
        p = scale.psychometrics
        if scale.id in ("self_kindness", "self_judgment", "common_humanity", "isolation",
                        "mindfulness", "over_identification"):  # fmt: skip
            continue  # SCS-SF subscales: the authors advise tracking the total only
        assert p.functional is not None or p.norms_missing, f"{instrument}/{scale.id}"
        if p.norms_missing:
            assert len(p.norms_missing) > 40  # a reason, not a placeholder


# Made up: lower is better; PHQ-9 totals.
ROWS = [("p1", 20, 5), ("p2", 18, 16), ("p3", 8, 16), ("p4", 14, 13)]


def data() -> pd.DataFrame:
    records = []
    for pid, pre, post in ROWS:
        records += [{"id": pid, "t": "pre", "s": pre}, {"id": pid, "t": "post", "s": post}]
    return pd.DataFrame(records)


def test_without_norms_a_published_cutoff_judges_recovery() -> None:
    """PHQ-9 has no confirmed norms but a published cut-off: caseness at 10 or above (Kroenke,
    Spitzer & Williams 2001; NHS Talking Therapies "above 9"). By hand, JT with alpha .89
    (Kroenke et al. 2001) and SD_pre = sd(20, 18, 8, 14) = 5.2915: S_diff =
    sqrt(2) x 5.2915 x sqrt(.11) = 2.4819; RC p1 = -15 / 2.4819 = -6.04, p2 -0.81,
    p3 +3.22, p4 -0.40. p1 reliably better and 20 (case) -> 5 (not) = recovered; p3 reliably
    worse and 8 (not a case) -> 16 (case) = harmed; p2, p4 unchanged."""
    result = analyse_change(data(), id="id", time="t", outcome="s", instrument="phq9")
    assert result.approach.value == "combined"
    assert result.cutoff is not None and result.cutoff.value == 10
    assert result.participants["category"].astype(str).to_dict() == {
        "p1": "recovered", "p2": "unchanged", "p3": "harmed", "p4": "unchanged",
    }  # fmt: skip
    assert any("published cut-off 10" in note and "Kocalevent" in note for note in result.notes)
    missing = result.parameter("norms_missing")
    assert missing is not None and "catalogue phq9/total" in missing.source


def test_without_norms_or_cutoff_combined_reports_reliable_change_only() -> None:
    """PDI has neither confirmed norms nor a published cut-off: combined + auto cut-off ->
    distribution, with the reason. By hand, JT with alpha .86 (Tait et al. 1987) and SD_pre
    5.2915: S_diff = sqrt(2) x 5.2915 x sqrt(.14) = 2.8000; RC p1 = -15 / 2.8 = -5.36
    (improved), p2 -0.71, p3 +2.86 (deteriorated), p4 -0.36."""
    result = analyse_change(data(), id="id", time="t", outcome="s", instrument="pdi")
    assert result.approach.value == "distribution"
    assert result.cutoff is None
    assert result.participants["category"].astype(str).to_dict() == {
        "p1": "improved", "p2": "unchanged", "p3": "deteriorated", "p4": "unchanged",
    }  # fmt: skip
    assert any("Chibnall & Tait" in note for note in result.notes)


def test_asking_for_a_cutoff_still_works() -> None:
    """--cutoff a (the sample's baseline) or a published cut-off keeps the combined approach;
    a given functional norm does too."""
    a = analyse_change(data(), id="id", time="t", outcome="s", instrument="pdi", cutoff="a")
    assert a.approach.value == "combined" and a.cutoff is not None
    given = analyse_change(
        data(), id="id", time="t", outcome="s", instrument="pdi", m_functional=3, sd_functional=3
    )
    assert given.approach.value == "combined"


def test_statistical_without_norms_says_why() -> None:
    with pytest.raises(MissingParameterError, match="Chibnall & Tait"):
        analyse_change(
            data(), id="id", time="t", outcome="s", instrument="pdi", approach="statistical"
        )


def test_mid_criterion_falls_back_to_the_mid() -> None:
    """change_criterion 'mid' without norms or cut-off: the anchor approach with the MID
    given (5): p1 -15 improved, p2 -2 unchanged, p3 +8 deteriorated, p4 -1 unchanged."""
    result = analyse_change(
        data(), id="id", time="t", outcome="s", instrument="pdi", change_criterion="mid", mid=5
    )
    assert result.approach.value == "anchor"
    assert result.counts()["improved"] == 1 and result.counts()["deteriorated"] == 1


# `balm change --instrument X` for the outcomes named in issue #9: a cut-off with its
# source, or the reason there is none.
CLI_SCALES = [
    ("pdi", "total", "Chibnall & Tait 1994"),
    ("cpaq8", "total", "Fish et al. 2010"),
    ("cpaq8", "activity_engagement", "Fish et al. 2010"),
    ("cpaq8", "pain_willingness", "Fish et al. 2010"),
    ("fscrs", "inadequate_self", "Baiao"),
    ("fscrs", "hated_self", "Baiao"),
    ("fscrs", "reassured_self", "Baiao"),
]


@pytest.mark.parametrize(("instrument", "scale", "named"), CLI_SCALES)
def test_cli_says_why_there_is_no_cutoff(
    tmp_path: Path, instrument: str, scale: str, named: str
) -> None:
    path = tmp_path / "s.csv"
    data().to_csv(path, index=False)
    base = ["change", str(path), "--id", "id", "--time", "t", "--outcome", "s"]
    args = [*base, "--instrument", instrument, "--scale", scale]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "distribution approach" in out and "reliable change only" in out
    assert named in out and "--cutoff a" in out
    as_json = CliRunner().invoke(app, [*args, "--json"])
    summary = json.loads(as_json.output)
    assert summary["approach"] == "distribution" and summary["cutoff"] is None


@pytest.mark.parametrize(
    ("instrument", "value", "named"),
    [("phq9", 10, "Kocalevent"), ("gad7", 8, "Lowe et al. 2008")],
)
def test_cli_uses_the_published_cutoff(
    tmp_path: Path, instrument: str, value: int, named: str
) -> None:
    """PHQ-9 caseness 10 or above (Kroenke et al. 2001), GAD-7 8 or above (NHS Talking
    Therapies "above 7"): recovery is judged against them, and the output says why."""
    path = tmp_path / "s.csv"
    data().to_csv(path, index=False)
    args = ["change", str(path), "--id", "id", "--time", "t", "--outcome", "s"]
    args += ["--instrument", instrument]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert f"published cut-off {value}" in out and named in out
    summary = json.loads(CliRunner().invoke(app, [*args, "--json"]).output)
    assert summary["approach"] == "combined" and summary["cutoff"] == value


def test_nrs_has_no_reliability_and_says_what_to_use() -> None:
    """A single pain rating has no internal consistency and no test-retest figure was
    confirmed: reliable change is refused with the way out (anchor, percentage, immpact)."""
    with pytest.raises(MissingParameterError, match="the catalogue has none for nrs/total"):
        analyse_change(data(), id="id", time="t", outcome="s", instrument="nrs")
