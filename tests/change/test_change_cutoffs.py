"""Cut-offs a, b, c (Jacobson & Truax 1991, p. 13) and the auto choice."""

from __future__ import annotations

import pytest

from balm.change import (
    CutoffType,
    MissingParameterError,
    choose_cutoff,
    cutoff_a,
    cutoff_b,
    cutoff_c,
    distributions_overlap,
    is_dysfunctional,
    is_functional,
)


def test_worked_numbers_higher_is_better() -> None:
    """M_clin 40, SD_clin 7.5, M_func 60, SD_func 7.5, higher better: c 50, a 55, b 45.

    a = 40 + 2 * 7.5 = 55; b = 60 - 2 * 7.5 = 45; c = (7.5 * 60 + 7.5 * 40) / 15 = 50.
    Source: instruments.md worked numbers; Jacobson & Truax 1991.
    """
    assert cutoff_c(40, 7.5, 60, 7.5) == pytest.approx(50.0)
    assert cutoff_a(40, 7.5, "higher") == pytest.approx(55.0)
    assert cutoff_b(60, 7.5, "higher") == pytest.approx(45.0)


def test_lower_is_better_uses_the_functional_sd_in_b() -> None:
    """Lower better: a = M_clin - 2 SD_clin; b = M_func + 2 SD_func (functional SD).

    M_clin 35.48, SD_clin 8.16, M_func 7.69, SD_func 7.52 (BDI-II norms, Kuhner et al. 2007,
    as in the clinicalsignificance vignettes): a = 35.48 - 16.32 = 19.16;
    b = 7.69 + 15.04 = 22.73 (not 7.69 + 16.32 = 24.01, the clinical-SD variant);
    c = (8.16 * 7.69 + 7.52 * 35.48) / 15.68 = (62.7504 + 266.8096) / 15.68 = 21.0179.
    """
    assert cutoff_a(35.48, 8.16, "lower") == pytest.approx(19.16)
    assert cutoff_b(7.69, 7.52, "lower") == pytest.approx(22.73)
    assert cutoff_c(35.48, 8.16, 7.69, 7.52) == pytest.approx(21.0179, abs=1e-4)


def test_overlap_definition() -> None:
    """Ranges M +/- 2 SD overlap when |M_clin - M_func| < 2 (SD_clin + SD_func).

    40 +/- 15 = [25, 55] and 60 +/- 15 = [45, 75] overlap; 10 +/- 2 and 30 +/- 2 do not.
    """
    assert distributions_overlap(40, 7.5, 60, 7.5)
    assert not distributions_overlap(10, 2, 30, 2)
    # Touching ranges ([6, 14] and [14, 22]) do not overlap.
    assert not distributions_overlap(10, 2, 18, 2)


def test_auto_picks_c_when_overlapping_else_a() -> None:
    """auto: c with functional norms and overlapping ranges; a otherwise (documented rule)."""
    c = choose_cutoff(
        "auto", better="higher", m_clinical=40, sd_clinical=7.5, m_functional=60, sd_functional=7.5
    )
    assert c.type is CutoffType.C and c.value == pytest.approx(50.0)
    assert "overlap" in c.reason
    a = choose_cutoff(
        "auto", better="lower", m_clinical=30, sd_clinical=2, m_functional=10, sd_functional=2
    )
    assert a.type is CutoffType.A and a.value == pytest.approx(26.0)
    assert "do not overlap" in a.reason
    only_clinical = choose_cutoff("auto", better="lower", m_clinical=30, sd_clinical=2)
    assert only_clinical.type is CutoffType.A and "no functional norms" in only_clinical.reason


def test_missing_norms_are_named() -> None:
    """b and c need functional norms; the error names them."""
    with pytest.raises(MissingParameterError, match="functional mean and SD"):
        choose_cutoff("c", better="lower", m_clinical=30, sd_clinical=5)
    with pytest.raises(MissingParameterError, match="published cut-off"):
        choose_cutoff("published", better="lower", m_clinical=None, sd_clinical=None)


def test_score_at_the_cutoff_is_dysfunctional() -> None:
    """PHQ-9 caseness "10 or above" (Kroenke et al. 2001): 10 is dysfunctional, 9 functional."""
    scores = [9.0, 10.0, 11.0]
    assert is_functional(scores, 10.0, "lower").tolist() == [True, False, False]
    assert is_dysfunctional(scores, 10.0, "lower").tolist() == [False, True, True]
    assert is_functional(scores, 10.0, "higher").tolist() == [False, False, True]
