"""One person's change on one catalogue scale, from the catalogue's published numbers only.

:func:`balm.change.analyse_change` classifies a sample and takes missing norms from it; a
clinician looking at one participant has no sample, so here every number comes from the
instrument catalogue (or the call fails softly with the reason). The classification itself
is the core's: :func:`balm.change.reliable.reliable_change` (Jacobson & Truax),
:func:`balm.change.classify.anchor_categories` for a published reliable-change amount, and
:func:`balm.change.classify.combined_categories` with the published cut-off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from balm.change.categories import Better, Category
from balm.change.classify import anchor_categories, combined_categories, distribution_categories
from balm.change.cutoffs import CutoffType, choose_cutoff
from balm.change.errors import ChangeInputError
from balm.change.parameters import Parameter, from_catalogue
from balm.change.reliable import RCMethod, reliable_change

#: How the reliable change was judged.
BY_JT = "jt"
BY_PUBLISHED_AMOUNT = "published_amount"


@dataclass(frozen=True)
class IndividualChanges:
    """The change of several people (or one person at several timepoints) on one scale.

    Attributes
    ----------
    categories : tuple of Category
        One per pre/post pair: recovered / improved / unchanged / deteriorated / harmed (only
        improved / unchanged / deteriorated when the catalogue has no cut-off).
    method : str
        ``jt`` (reliable change index of Jacobson & Truax 1991 with the catalogue's reliability
        and clinical SD) or ``published_amount`` (a change of at least the catalogue's
        published reliable-change amount).
    reliable_amount : float
        The smallest change, in score points, that counts as reliable.
    index : tuple of float, or None
        The JT index per pair (None for ``published_amount``).
    cutoff : float or None
        The cut-off between the clinical and the functional range, if any.
    parameters : tuple of Parameter
        Every number used, with its catalogue source.
    """

    categories: tuple[Category, ...]
    method: str
    reliable_amount: float
    index: tuple[float, ...] | None
    cutoff: float | None
    parameters: tuple[Parameter, ...]


@dataclass(frozen=True)
class IndividualChange:
    """One pair of :class:`IndividualChanges`: the same fields for a single pre and post."""

    category: Category
    method: str
    reliable_amount: float
    index: float | None
    cutoff: float | None
    parameters: tuple[Parameter, ...]


def individual_changes(
    pre: npt.ArrayLike, post: npt.ArrayLike, *, instrument: str, scale: str = "total"
) -> IndividualChanges | None:
    """Classify each pre/post pair with the catalogue's parameters, vectorised; None when the
    catalogue lacks the numbers.

    With a reliability ``r`` and a clinical SD ``s`` in the catalogue the Jacobson & Truax
    (1991) index is used: ``RCI = (post - pre) / S_diff`` with ``S_diff = sqrt(2) * s *
    sqrt(1 - r)``, reliable when ``|RCI| > 1.96`` in the better / worse direction. Otherwise
    a published reliable-change amount ``d`` is used: reliable when the change in the better
    (worse) direction is at least ``d``. With a published cut-off (else one from the
    catalogue's norms, Jacobson & Truax's a or c) the combined approach adds recovered
    (reliable improvement from the clinical into the functional range) and harmed (the
    reverse); without one, categories are improved / unchanged / deteriorated.

    Returns None when the catalogue has neither (reliability and clinical SD) nor a
    published reliable-change amount for the scale, or does not know the instrument or scale.

    Raises
    ------
    ChangeInputError
        When ``pre`` and ``post`` differ in length or hold a value that is not a finite number.

    References
    ----------
    Jacobson NS, Truax P (1991). J Consult Clin Psychol 59(1):12-19.
    """
    pre_a = np.asarray(pre, dtype=np.float64).reshape(-1)
    post_a = np.asarray(post, dtype=np.float64).reshape(-1)
    if pre_a.shape != post_a.shape:
        raise ChangeInputError(f"{pre_a.size} pre scores but {post_a.size} post scores")
    bad = np.flatnonzero(~(np.isfinite(pre_a) & np.isfinite(post_a)))
    if bad.size:
        raise ChangeInputError(f"pairs {bad.tolist()} are not both finite numbers")
    try:
        values = from_catalogue(instrument, scale).values
    except ChangeInputError:
        return None
    better = Better(str(values["better"].value))
    used: list[Parameter] = [values["better"]]

    reliability = _number(values, "reliability")
    sd = _number(values, "sd_clinical")
    published = _published_amount(instrument, scale)
    index: tuple[float, ...] | None
    if reliability is not None and sd is not None:
        rc = reliable_change(
            pre_a, post_a, method=RCMethod.JT, reliability=reliability, better=better, sd_pre=sd
        )
        improved, deteriorated = rc.improved, rc.deteriorated
        index = tuple(float(i) for i in rc.index)
        amount = rc.critical_value * rc.constants["s_diff"]
        method = BY_JT
        used += [values["reliability"], values["sd_clinical"]]
    elif published is not None:
        _, by_amount = anchor_categories(pre_a, post_a, float(published.value), better)
        improved = np.asarray(by_amount == Category.IMPROVED.value)
        deteriorated = np.asarray(by_amount == Category.DETERIORATED.value)
        index, amount, method = None, float(published.value), BY_PUBLISHED_AMOUNT
        used.append(published)
    else:
        return None

    cutoff = _cutoff(values, better)
    if cutoff is None:
        categories = distribution_categories(improved, deteriorated)
    else:
        used.append(cutoff)
        categories = combined_categories(
            improved, deteriorated, pre_a, post_a, float(cutoff.value), better
        )
    return IndividualChanges(
        categories=tuple(Category(str(c)) for c in categories),
        method=method,
        reliable_amount=float(amount),
        index=index,
        cutoff=None if cutoff is None else float(cutoff.value),
        parameters=tuple(used),
    )


def individual_change(
    pre: float, post: float, *, instrument: str, scale: str = "total"
) -> IndividualChange | None:
    """:func:`individual_changes` for one pair; None also when a score is not a number."""
    if not (_finite(pre) and _finite(post)):
        return None
    found = individual_changes([pre], [post], instrument=instrument, scale=scale)
    if found is None:
        return None
    return IndividualChange(
        category=found.categories[0],
        method=found.method,
        reliable_amount=found.reliable_amount,
        index=None if found.index is None else found.index[0],
        cutoff=found.cutoff,
        parameters=found.parameters,
    )


def _finite(value: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number(values: dict[str, Parameter], name: str) -> float | None:
    found = values.get(name)
    return None if found is None else float(found.value)


def _published_amount(instrument: str, scale: str) -> Parameter | None:
    from balm.instruments import get_instrument

    found = get_instrument(instrument).scale(scale).psychometrics.reliable_change
    if found is None:
        return None
    where = f"catalogue {instrument}/{scale}"
    return Parameter(
        "reliable_change", found.value, f"{where}: {found.description}; {found.source}"
    )


def _cutoff(values: dict[str, Parameter], better: Better) -> Parameter | None:
    """The published cut-off, else Jacobson & Truax's from the catalogue's norms, else None."""
    if "cutoff_value" in values:
        return values["cutoff_value"]
    m_clinical, sd_clinical = _number(values, "m_clinical"), _number(values, "sd_clinical")
    if m_clinical is None or sd_clinical is None:
        return None
    chosen = choose_cutoff(
        CutoffType.AUTO,
        better=better,
        m_clinical=m_clinical,
        sd_clinical=sd_clinical,
        m_functional=_number(values, "m_functional"),
        sd_functional=_number(values, "sd_functional"),
    )
    source = values["sd_clinical"].source
    reason = f"{chosen.type.value} from the catalogue norms; {source}"
    return Parameter("cutoff", chosen.value, reason)
