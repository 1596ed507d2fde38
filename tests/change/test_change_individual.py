"""One person's change from the catalogue's published numbers (balm.change.individual).

Expected categories are worked by hand here from the published figures the catalogue cites,
not from the code:

CORE-10 (lower is better): reliability alpha = .90 (Barkham et al. 2013), clinical SD = 7.7
(Connell & Barkham 2007, CORE-10 User Manual table 3), cut-off 11 ("11 or above is in the
clinical range", Barkham et al. 2013). Jacobson & Truax (1991):
    SE     = 7.7 * sqrt(1 - .90) = 7.7 * 0.316228 = 2.43495
    S_diff = sqrt(2) * 2.43495                    = 3.44354
    a change is reliable when |change| / 3.44354 > 1.96, i.e. |change| > 6.749 points.

PHQ-9 (lower is better): no clinical SD in the catalogue, so the published reliable change
of the NHS Talking Therapies manual (a drop of 6 or more) is used with the caseness cut-off
10 ("10 or above", Kroenke et al. 2001).
"""

from __future__ import annotations

import pytest

from balm.change import Category, ChangeInputError, individual_change, individual_changes


@pytest.mark.parametrize(
    ("pre", "post", "expected", "index"),
    [
        # -15 / 3.44354 = -4.356: reliable improvement; 24 >= 11 clinical, 9 < 11 not.
        (24, 9, Category.RECOVERED, -4.356),
        # -7 / 3.44354 = -2.033: reliable improvement, but 13 is still >= 11.
        (20, 13, Category.IMPROVED, -2.033),
        # -6 / 3.44354 = -1.742: not reliable by JT (6 < 6.749).
        (20, 14, Category.UNCHANGED, -1.742),
        # +8 / 3.44354 = 2.323: reliably worse, from 8 (< 11) into 16 (>= 11).
        (8, 16, Category.HARMED, 2.323),
        # +7 / 3.44354 = 2.033: reliably worse, already in the clinical range at 14.
        (14, 21, Category.DETERIORATED, 2.033),
    ],
)
def test_core10_by_jacobson_truax(
    pre: float, post: float, expected: Category, index: float
) -> None:
    change = individual_change(pre, post, instrument="core10")
    assert change is not None
    assert change.method == "jt"
    assert change.category is expected
    assert change.index == pytest.approx(index, abs=0.001)
    assert change.reliable_amount == pytest.approx(6.749, abs=0.001)
    assert change.cutoff == 11
    sources = " ".join(p.source for p in change.parameters)
    assert "Barkham" in sources and "Connell" in sources


@pytest.mark.parametrize(
    ("pre", "post", "expected"),
    [
        (16, 8, Category.RECOVERED),  # drop 8 >= 6; 16 >= 10, 8 < 10
        (16, 11, Category.UNCHANGED),  # drop 5 < 6
        (12, 6, Category.RECOVERED),  # drop exactly 6 counts ("6 or more")
        (18, 12, Category.IMPROVED),  # drop 6, still >= 10
        (9, 15, Category.HARMED),  # rise 6, from below 10 to above
    ],
)
def test_phq9_by_published_amount(pre: float, post: float, expected: Category) -> None:
    change = individual_change(pre, post, instrument="phq9")
    assert change is not None
    assert change.method == "published_amount"
    assert change.index is None
    assert change.reliable_amount == 6
    assert change.category is expected


def test_none_without_the_numbers_or_a_score() -> None:
    assert individual_change(float("nan"), 3, instrument="phq9") is None
    assert individual_change(3, 4, instrument="no-such-instrument") is None
    assert individual_change(3, 4, instrument="phq9", scale="no-such-scale") is None


def test_the_batch_gives_the_same_categories_in_one_call() -> None:
    # The five CORE-10 pairs above, worked by hand there.
    found = individual_changes(
        [24, 20, 20, 8, 14], [9, 13, 14, 16, 21], instrument="core10", scale="total"
    )
    assert found is not None and found.index is not None
    assert found.categories == (
        Category.RECOVERED,
        Category.IMPROVED,
        Category.UNCHANGED,
        Category.HARMED,
        Category.DETERIORATED,
    )
    assert found.index[0] == pytest.approx(-4.356, abs=0.001)


def test_the_batch_refuses_blanks_and_unequal_lengths() -> None:
    with pytest.raises(ChangeInputError, match=r"pairs \[1\]"):
        individual_changes([20, float("nan")], [10, 10], instrument="phq9")
    with pytest.raises(ChangeInputError, match="2 pre scores but 1 post"):
        individual_changes([20, 18], [10], instrument="phq9")
