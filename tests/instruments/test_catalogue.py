"""The shipped catalogue: every data file loads, names itself after its file, and carries a
source for every number that drives interpretation."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from balm.instruments import LicenceClass, catalogue, get_instrument
from balm.instruments.catalogue import UnknownInstrumentError, load_file

FOLDER = Path(str(resources.files("balm.instruments") / "catalogue"))
FILES = sorted(FOLDER.glob("*.yaml"))

REQUIRED: dict[str, set[str]] = {
    "phq9": {"total"},
    "gad7": {"total"},
    "dass21": {"depression", "anxiety", "stress"},
    "pdi": {"total"},
    "cpaq8": {"activity_engagement", "pain_willingness", "total"},
    "cpaq20": {"activity_engagement", "pain_willingness", "total"},
    "fscrs": {"inadequate_self", "hated_self", "reassured_self"},
    "scs_sf": {
        "total",
        "self_kindness",
        "self_judgment",
        "common_humanity",
        "isolation",
        "mindfulness",
        "over_identification",
    },
    "pseq": {"total"},
    "pcs": {"rumination", "magnification", "helplessness", "total"},
    "peg": {"total"},
    "nrs": {"total"},
    "tsk11": {"total"},
    "swemwbs": {"raw", "total"},
    "core10": {"total"},
    "hads": {"anxiety", "depression"},
    "bpi_sf": {"severity", "interference"},
    "checkin": {"mood", "outlook", "acceptance", "comfort", "pain", "practice_minutes"},
}


def test_there_are_data_files() -> None:
    assert FILES, "the catalogue folder holds no .yaml files"


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_every_file_loads_and_its_id_matches_the_file_name(path: Path) -> None:
    instrument = load_file(path)
    assert instrument.id == path.stem


def test_catalogue_holds_every_file_in_id_order() -> None:
    assert list(catalogue()) == [path.stem for path in FILES]


@pytest.mark.parametrize("instrument_id", sorted(REQUIRED))
def test_required_instruments_and_scales_are_present(instrument_id: str) -> None:
    assert instrument_id in catalogue(), f"{instrument_id}.yaml is not in the catalogue yet"
    scale_ids = {scale.id for scale in catalogue()[instrument_id].scales}
    missing = REQUIRED[instrument_id] - scale_ids
    assert not missing, f"{instrument_id} lacks scale(s) {sorted(missing)}"


@pytest.mark.parametrize("instrument_id", sorted(catalogue()))
def test_every_interpretive_number_has_a_source(instrument_id: str) -> None:
    instrument = catalogue()[instrument_id]
    for scale in instrument.scales:
        where = f"{instrument_id}.{scale.id}"
        assert scale.missing.source.strip(), f"{where}: missing-item rule without a source"
        if scale.bands is not None:
            assert scale.bands.source.strip(), f"{where}: bands without a source"
        psychometrics = scale.psychometrics
        for name in ("reliability", "clinical", "functional", "cutoff", "reliable_change", "mid"):
            entry = getattr(psychometrics, name)
            if entry is not None:
                assert entry.source.strip(), f"{where}: {name} without a source"


@pytest.mark.parametrize("instrument_id", sorted(catalogue()))
def test_licensed_instruments_ship_no_text(instrument_id: str) -> None:
    instrument = catalogue()[instrument_id]
    if instrument.licence.licence_class is not LicenceClass.LICENSED:
        return
    assert not instrument.item_text_included
    assert all(item.text is None for item in instrument.items)


def test_phq9_item_9_is_a_safety_item() -> None:
    phq9 = get_instrument("phq9")
    assert [item.id for item in phq9.safety_items] == ["q9"]
    assert phq9.item("q9").safety


def test_unknown_instrument_lists_the_known_ids() -> None:
    with pytest.raises(UnknownInstrumentError) as caught:
        get_instrument("phq10")
    assert "phq9" in caught.value.known
    assert "phq9" in str(caught.value)


def _raw(instrument_id: str) -> dict[str, object]:
    import yaml

    folder = resources.files("balm.instruments") / "catalogue"
    raw: dict[str, object] = yaml.safe_load((folder / f"{instrument_id}.yaml").read_text())
    return raw


def test_a_variant_must_list_every_item_once() -> None:
    """A printed order that repeats or drops an item is refused when the file loads."""
    from pydantic import ValidationError

    from balm.instruments.schema import Instrument

    raw = _raw("cpaq8")
    variants = dict(raw["variants"])  # type: ignore[call-overload]
    variants["broken"] = {
        "description": "q1 twice",
        "items": ["q1", "q1", "q2", "q3", "q4", "q5", "q6", "q7"],
        "source": "made up for this test",
    }
    raw["variants"] = variants
    with pytest.raises(ValidationError, match="every item exactly once"):
        Instrument.model_validate(raw)


def test_norms_missing_cannot_sit_beside_a_functional_norm() -> None:
    from pydantic import ValidationError

    from balm.instruments.schema import Psychometrics

    functional = {"mean": 4.7, "sd": 4.8, "population": "made up", "source": "made up"}
    with pytest.raises(ValidationError, match="norms_missing goes only"):
        Psychometrics.model_validate(
            {"functional": functional, "norms_missing": "a reason long enough to be read"}
        )
