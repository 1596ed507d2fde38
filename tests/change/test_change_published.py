"""Cross-check against the published results of clinicalsignificance (Claus et al. 2024).

Data: ``claus_2020`` (Claus, Scherbaum & Bonnet 2020, Psychother Psychosom 89(4)), shipped
with the R package and kept outside this repository in ``../shared/reference-data``. These
tests are skipped when that folder is absent (a fresh clone; the data is not ours to ship); the
hand-worked tests in the other modules always run. Set BALM_REFERENCE_DATA to point at the
folder elsewhere.

Published numbers: the package README and vignettes (distribution-based, statistical,
combined, anchor-based and percentage-change approaches), BDI-II, pre = 1, post = 4,
N (original) 43, N (used) 40, BDI-II functional norms M 7.69, SD 7.52 (Kuhner et al. 2007).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from balm.change import analyse_change

_FOLDER = Path(
    os.environ.get(
        "BALM_REFERENCE_DATA",
        Path(__file__).resolve().parents[2].parent / "shared" / "reference-data",
    )
)
_CLAUS = _FOLDER / "clinicalsignificance" / "claus_2020.csv"

pytestmark = pytest.mark.skipif(not _CLAUS.is_file(), reason="reference data not present")


NORMS = {"m_functional": 7.69, "sd_functional": 7.52}


def _bdi(**kwargs: Any) -> Any:
    data = pd.read_csv(_CLAUS)
    base: dict[str, Any] = {"pre": 1, "post": 4, "better": "lower"}
    if kwargs.get("method") == "hlm":
        base = {"better": "lower"}
    base.update(kwargs)
    return analyse_change(data, id="id", time="time", outcome="bdi", **base)


def _three(result: Any) -> tuple[int, int, int]:
    c = result.counts()
    return c["improved"], c["unchanged"], c["deteriorated"]


def test_distribution_jt_and_ha() -> None:
    """Vignette "distribution-based approach": JT 18/22/0, HA 25/15/0 (r = .801)."""
    jt = _bdi(approach="distribution", reliability=0.801)
    assert (jt.n_total, jt.n_included) == (43, 40)
    assert _three(jt) == (18, 22, 0)
    assert _three(_bdi(approach="distribution", method="ha", reliability=0.801)) == (25, 15, 0)


def test_distribution_hlm_as_clinicalsignificance() -> None:
    """Vignette: HLM 5 improved / 32 unchanged / 3 deteriorated, N used 40.

    clinicalsignificance tests the random-slope deviation (hlm_test="deviation") in
    participants with 3 or more observations.
    """
    result = _bdi(approach="distribution", method="hlm", hlm_test="deviation")
    assert result.n_included == 40
    assert _three(result) == (5, 32, 3)


def test_combined_cutoff_a_and_c() -> None:
    """Combined vignette (cut-off a = 19.16; M_clin 35.48, SD_clin 8.16) and README (cut-off
    c = 21.02): recovered 10, improved 8, unchanged 22, deteriorated 0, harmed 0."""
    for kind, value in (("a", 19.16), ("c", 21.02)):
        result = _bdi(reliability=0.801, cutoff=kind, **NORMS)
        assert result.cutoff.value == pytest.approx(value, abs=0.005)
        assert result.counts() == {
            "recovered": 10,
            "improved": 8,
            "unchanged": 22,
            "deteriorated": 0,
            "harmed": 0,
        }
    assert result.parameter("m_clinical").value == pytest.approx(35.48, abs=0.005)
    assert result.parameter("sd_clinical").value == pytest.approx(8.16, abs=0.005)


def test_statistical_grouped() -> None:
    """Statistical vignette, cut-off c 21.02: 13/27/0; TAU 5/14/0, PA 8/13/0."""
    result = _bdi(approach="statistical", cutoff="c", group="treatment", **NORMS)
    assert _three(result) == (13, 27, 0)
    groups = result.group_counts()
    assert (groups["TAU"]["improved"], groups["TAU"]["unchanged"]) == (5, 14)
    assert (groups["PA"]["improved"], groups["PA"]["unchanged"]) == (8, 13)


def test_anchor_grouped() -> None:
    """Anchor vignette, MID 7: 25/11/4; TAU 8/7/4; PA 17/4/0."""
    result = _bdi(approach="anchor", mid=7, group="treatment")
    assert _three(result) == (25, 11, 4)
    groups = result.group_counts()
    assert [groups["TAU"][k] for k in ("improved", "unchanged", "deteriorated")] == [8, 7, 4]
    assert [groups["PA"][k] for k in ("improved", "unchanged", "deteriorated")] == [17, 4, 0]


def test_percentage() -> None:
    """Percentage vignette: 50 % -> 11/29/0 (TAU 2/17, PA 9/12); 50 %/20 % -> 11/26/3."""
    result = _bdi(approach="percentage", percentage=0.5, group="treatment")
    assert _three(result) == (11, 29, 0)
    groups = result.group_counts()
    assert (groups["TAU"]["improved"], groups["PA"]["improved"]) == (2, 9)
    asym = _bdi(approach="percentage", percentage=0.5, percentage_deterioration=0.2)
    assert _three(asym) == (11, 26, 3)


def test_combined_with_mid() -> None:
    """Combined vignette, CWB approach (MID 7, cut-off a 19.16): 13/12/11/4/0."""
    result = _bdi(mid=7, cutoff="a", change_criterion="mid", **NORMS)
    assert result.counts() == {
        "recovered": 13,
        "improved": 12,
        "unchanged": 11,
        "deteriorated": 4,
        "harmed": 0,
    }
