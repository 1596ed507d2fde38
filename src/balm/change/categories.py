"""Outcome categories of an individual's change and the approaches that use them."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """Where a participant's change falls; ordered from best to worst."""

    RECOVERED = "recovered"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    DETERIORATED = "deteriorated"
    HARMED = "harmed"


class Approach(StrEnum):
    """How change is judged (Claus, Wager & Bonnet 2024, JSS 111(1), section 2)."""

    DISTRIBUTION = "distribution"
    STATISTICAL = "statistical"
    COMBINED = "combined"
    ANCHOR = "anchor"
    PERCENTAGE = "percentage"


class Better(StrEnum):
    """Which direction of the score is better for the participant."""

    LOWER = "lower"
    HIGHER = "higher"

    @property
    def sign(self) -> float:
        """+1 when higher is better, -1 when lower is better (change x sign = benefit)."""
        return 1.0 if self is Better.HIGHER else -1.0


ALL_CATEGORIES: tuple[Category, ...] = tuple(Category)

#: The categories each approach can assign, in reporting order.
CATEGORIES_BY_APPROACH: dict[Approach, tuple[Category, ...]] = {
    Approach.DISTRIBUTION: (Category.IMPROVED, Category.UNCHANGED, Category.DETERIORATED),
    Approach.STATISTICAL: (Category.IMPROVED, Category.UNCHANGED, Category.DETERIORATED),
    Approach.COMBINED: ALL_CATEGORIES,
    Approach.ANCHOR: (Category.IMPROVED, Category.UNCHANGED, Category.DETERIORATED),
    Approach.PERCENTAGE: (Category.IMPROVED, Category.UNCHANGED, Category.DETERIORATED),
}
