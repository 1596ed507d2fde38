"""Clinical cut-offs a, b and c (Jacobson & Truax 1991) and which side of them a score is on.

For lower-is-better measures:

* a = M_clin - 2 SD_clin (two SDs beyond the clinical mean, toward health);
* b = M_func + 2 SD_func (within two SDs of the functional mean; the *functional* SD);
* c = (SD_clin M_func + SD_func M_clin) / (SD_clin + SD_func) (the point equally likely
  to belong to either distribution, weighted by their SDs).

For higher-is-better measures the signs flip: a = M_clin + 2 SD_clin, b = M_func - 2 SD_func;
c is unchanged.

A score on the functional side is strictly beyond the cut-off (below it when lower is
better); a score exactly at the cut-off counts as dysfunctional, as published caseness
thresholds are stated ("PHQ-9 caseness at 10 or above"). clinicalsignificance counts a
score exactly at the cut-off as neither clinical at pre nor functional at post; the two
differ only for scores exactly equal to the cut-off.

Reference: Jacobson NS, Truax P (1991). J Consult Clin Psychol 59(1):12-19, p. 13.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from balm.change.categories import Better
from balm.change.errors import ChangeInputError, MissingParameterError

BoolArray = npt.NDArray[np.bool_]


class CutoffType(StrEnum):
    """Which cut-off to use; ``published`` is a fixed value (catalogue or given)."""

    A = "a"
    B = "b"
    C = "c"
    AUTO = "auto"
    PUBLISHED = "published"


def cutoff_a(m_clinical: float, sd_clinical: float, better: Better | str) -> float:
    """Cut-off a: two clinical SDs beyond the clinical mean in the better direction.

    a = M_clin - 2 SD_clin (lower better); a = M_clin + 2 SD_clin (higher better).

    Parameters
    ----------
    m_clinical, sd_clinical : float
        Mean and SD of the clinical (dysfunctional) population.
    better : {"lower", "higher"}
        Which direction is better.

    Returns
    -------
    float
        With M_clin 40, SD_clin 7.5, higher better: a = 55.0.

    References
    ----------
    Jacobson & Truax (1991), p. 13.
    """
    return float(m_clinical) + Better(better).sign * 2.0 * float(sd_clinical)


def cutoff_b(m_functional: float, sd_functional: float, better: Better | str) -> float:
    """Cut-off b: two *functional* SDs from the functional mean toward the clinical side.

    b = M_func + 2 SD_func (lower better); b = M_func - 2 SD_func (higher better).

    Parameters
    ----------
    m_functional, sd_functional : float
        Mean and SD of the functional population.
    better : {"lower", "higher"}
        Which direction is better.

    Returns
    -------
    float
        With M_func 60, SD_func 7.5, higher better: b = 45.0.

    References
    ----------
    Jacobson & Truax (1991), p. 13 (the functional SD, not the clinical SD).
    """
    return float(m_functional) - Better(better).sign * 2.0 * float(sd_functional)


def cutoff_c(
    m_clinical: float, sd_clinical: float, m_functional: float, sd_functional: float
) -> float:
    """Cut-off c: the SD-weighted point between the clinical and functional means.

    c = (SD_clin M_func + SD_func M_clin) / (SD_clin + SD_func).

    Parameters
    ----------
    m_clinical, sd_clinical, m_functional, sd_functional : float
        Means and SDs of the clinical and functional populations.

    Returns
    -------
    float
        With M_clin 40, SD_clin 7.5, M_func 60, SD_func 7.5: c = 50.0.

    References
    ----------
    Jacobson & Truax (1991), p. 13.
    """
    s_c, s_f = float(sd_clinical), float(sd_functional)
    return (s_c * float(m_functional) + s_f * float(m_clinical)) / (s_c + s_f)


def distributions_overlap(
    m_clinical: float, sd_clinical: float, m_functional: float, sd_functional: float
) -> bool:
    """Whether the clinical and functional ranges M +/- 2 SD overlap.

    The ranges [M_clin - 2 SD_clin, M_clin + 2 SD_clin] and [M_func - 2 SD_func,
    M_func + 2 SD_func] overlap when |M_clin - M_func| < 2 (SD_clin + SD_func); this is
    the same as cut-off b lying on the clinical side of cut-off a.

    Parameters
    ----------
    m_clinical, sd_clinical, m_functional, sd_functional : float
        Means and SDs of the two populations.

    Returns
    -------
    bool
    """
    gap = abs(float(m_clinical) - float(m_functional))
    return gap < 2.0 * (float(sd_clinical) + float(sd_functional))


@dataclass(frozen=True)
class Cutoff:
    """The cut-off used, how it was chosen and from which numbers.

    Attributes
    ----------
    type : CutoffType
        a, b, c or published (never auto: auto resolves to one of the others).
    value : float
        The cut-off score.
    reason : str
        Why this type was used (for auto, the overlap check).
    m_clinical, sd_clinical, m_functional, sd_functional : float or None
        The norms it was computed from (None when not used).
    """

    type: CutoffType
    value: float
    reason: str
    m_clinical: float | None = None
    sd_clinical: float | None = None
    m_functional: float | None = None
    sd_functional: float | None = None


def choose_cutoff(
    cutoff_type: CutoffType | str,
    *,
    better: Better | str,
    m_clinical: float | None,
    sd_clinical: float | None,
    m_functional: float | None = None,
    sd_functional: float | None = None,
    published: float | None = None,
) -> Cutoff:
    """Compute the requested cut-off, or pick one with ``auto``.

    ``auto`` uses c when functional norms are available and the clinical and functional
    ranges M +/- 2 SD overlap (:func:`distributions_overlap`), following Jacobson & Truax's
    preference for c with overlapping distributions; otherwise it uses a, which needs only
    the clinical distribution.

    Parameters
    ----------
    cutoff_type : {"a", "b", "c", "auto", "published"}
        Which cut-off.
    better : {"lower", "higher"}
        Which direction is better.
    m_clinical, sd_clinical : float or None
        Clinical mean and SD (usually the sample's baseline).
    m_functional, sd_functional : float, optional
        Functional population mean and SD (needed for b and c).
    published : float, optional
        A fixed cut-off (needed for ``published``).

    Returns
    -------
    Cutoff

    Raises
    ------
    MissingParameterError
        If a number the cut-off needs is missing.
    """
    kind = CutoffType(cutoff_type)
    direction = Better(better)
    has_functional = m_functional is not None and sd_functional is not None
    if sd_functional is not None and not sd_functional > 0:
        raise ChangeInputError(f"sd_functional must be above 0, got {sd_functional}")
    if sd_clinical is not None and not sd_clinical > 0:
        raise ChangeInputError(f"sd_clinical must be above 0, got {sd_clinical}")
    if kind is CutoffType.PUBLISHED:
        if published is None:
            raise MissingParameterError(
                "a published cut-off value", "cut-off 'published'", "give cutoff_value"
            )
        return Cutoff(kind, float(published), "published cut-off")
    if kind is CutoffType.AUTO:
        if has_functional and m_clinical is not None and sd_clinical is not None:
            assert m_functional is not None and sd_functional is not None  # for mypy
            if distributions_overlap(m_clinical, sd_clinical, m_functional, sd_functional):
                kind = CutoffType.C
                reason = (
                    "auto: functional norms given and the ranges M +/- 2 SD of the clinical "
                    "and functional distributions overlap, so c"
                )
            else:
                kind = CutoffType.A
                reason = (
                    "auto: the ranges M +/- 2 SD of the clinical and functional "
                    "distributions do not overlap, so a"
                )
        else:
            kind = CutoffType.A
            reason = "auto: no functional norms, so a (needs only the clinical distribution)"
    else:
        reason = f"cut-off {kind.value} as requested"
    needs_clinical = kind in (CutoffType.A, CutoffType.C)
    needs_functional = kind in (CutoffType.B, CutoffType.C)
    if needs_clinical and (m_clinical is None or sd_clinical is None):
        raise MissingParameterError(
            "the clinical mean and SD", f"cut-off {kind.value}", "give m_clinical and sd_clinical"
        )
    if needs_functional and not has_functional:
        raise MissingParameterError(
            "the functional mean and SD",
            f"cut-off {kind.value}",
            "give m_functional and sd_functional, or an instrument with functional norms",
        )
    if kind is CutoffType.A:
        assert m_clinical is not None and sd_clinical is not None  # checked above
        value = cutoff_a(m_clinical, sd_clinical, direction)
    elif kind is CutoffType.B:
        assert m_functional is not None and sd_functional is not None
        value = cutoff_b(m_functional, sd_functional, direction)
    else:
        assert m_clinical is not None and sd_clinical is not None
        assert m_functional is not None and sd_functional is not None
        value = cutoff_c(m_clinical, sd_clinical, m_functional, sd_functional)
    return Cutoff(
        kind,
        value,
        reason,
        m_clinical if needs_clinical else None,
        sd_clinical if needs_clinical else None,
        m_functional if needs_functional else None,
        sd_functional if needs_functional else None,
    )


def is_functional(scores: npt.ArrayLike, cutoff: float, better: Better | str) -> BoolArray:
    """Whether each score is strictly on the functional side of the cut-off.

    Lower better: functional when score < cut-off. Higher better: score > cut-off. A score
    at the cut-off is dysfunctional. Missing scores (NaN) are neither side: both this and
    :func:`is_dysfunctional` return False for them.

    Parameters
    ----------
    scores : array_like
    cutoff : float
    better : {"lower", "higher"}

    Returns
    -------
    ndarray of bool
    """
    values = np.asarray(scores, dtype=np.float64)
    out: BoolArray = values * Better(better).sign > cutoff * Better(better).sign
    return out


def is_dysfunctional(scores: npt.ArrayLike, cutoff: float, better: Better | str) -> BoolArray:
    """Whether each score is on the clinical side of the cut-off or exactly at it.

    Parameters
    ----------
    scores : array_like
    cutoff : float
    better : {"lower", "higher"}

    Returns
    -------
    ndarray of bool
    """
    values = np.asarray(scores, dtype=np.float64)
    out: BoolArray = values * Better(better).sign <= cutoff * Better(better).sign
    return out
