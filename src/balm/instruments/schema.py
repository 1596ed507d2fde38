"""The shape of an instrument data file, checked by pydantic when the catalogue loads.

A data file is reviewed like code: every number that drives scoring or interpretation
(weights, bands, norms, reliabilities) carries a ``source``. Answers are stored and
validated as the *printed weight* of the option chosen, never as its position.
"""

from __future__ import annotations

from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LicenceClass(StrEnum):
    FREE = "free"
    FREE_WITH_CONDITIONS = "free_with_conditions"
    LICENSED = "licensed"


class Direction(StrEnum):
    HIGHER_WORSE = "higher_worse"
    HIGHER_BETTER = "higher_better"


class ScaleMethod(StrEnum):
    SUM = "sum"
    MEAN = "mean"
    DOUBLED_SUM = "doubled_sum"
    LOOKUP = "lookup"


class ItemKind(StrEnum):
    CHOICE = "choice"
    INTEGER = "integer"
    NUMBER = "number"
    TEXT = "text"


class Licence(_Strict):
    licence_class: LicenceClass = Field(alias="class")
    summary: str
    copyright: str | None = None
    url: str | None = None


class Option(_Strict):
    label: str
    value: float


class Item(_Strict):
    id: Identifier
    text: str | None = None
    concept: str
    kind: ItemKind = ItemKind.CHOICE
    response_set: str | None = None
    options: tuple[Option, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    reverse: bool = False
    safety: bool = False
    required: bool = True
    loinc: str | None = None

    @model_validator(mode="after")
    def _kind_fits(self) -> Item:
        if self.kind is ItemKind.CHOICE and (self.response_set is None) == (self.options is None):
            raise ValueError(f"item {self.id}: a choice item needs response_set or options")
        if self.kind in (ItemKind.INTEGER, ItemKind.NUMBER) and (
            self.minimum is None or self.maximum is None or self.minimum > self.maximum
        ):
            raise ValueError(f"item {self.id}: a numeric item needs minimum <= maximum")
        if self.kind is ItemKind.TEXT and (self.reverse or self.safety):
            raise ValueError(f"item {self.id}: a text item cannot be reversed or a safety item")
        return self


class Sourced(_Strict):
    source: str


class MissingRule(Sourced):
    """How many of a scale's items may be blank, and whether the score is then prorated."""

    max_missing: int = Field(ge=0)
    prorate: bool

    @model_validator(mode="after")
    def _never_zero_fill(self) -> MissingRule:
        # A score over fewer items than the key has is only honest when it is prorated
        # (or a mean of the items present); summing the rest would read blanks as zero.
        if self.prorate != (self.max_missing > 0):
            raise ValueError("prorate must be true exactly when max_missing is above 0")
        return self


class Band(_Strict):
    label: Identifier
    minimum: float
    maximum: float
    description: str | None = None


class Bands(Sourced):
    bands: tuple[Band, ...] = Field(min_length=2)

    @field_validator("bands")
    @classmethod
    def _ordered(cls, bands: tuple[Band, ...]) -> tuple[Band, ...]:
        for lower, upper in pairwise(bands):
            if not lower.minimum <= lower.maximum < upper.minimum:
                raise ValueError(f"bands {lower.label} and {upper.label} overlap or are unordered")
        return bands


class Reliability(Sourced):
    value: float = Field(gt=0, lt=1)
    kind: Literal["cronbach_alpha", "test_retest", "icc", "omega", "split_half"]


class Norm(Sourced):
    mean: float
    sd: float = Field(gt=0)
    n: int | None = Field(default=None, gt=0)
    population: str


class Threshold(Sourced):
    value: float
    description: str


class Psychometrics(_Strict):
    reliability: Reliability | None = None
    clinical: Norm | None = None
    functional: Norm | None = None
    cutoff: Threshold | None = None
    reliable_change: Threshold | None = None
    mid: Threshold | None = None
    # Why no usable functional (general-population) norm is given: what was looked for and
    # what was found. With it, ``balm.change`` reports reliable change only for an automatic
    # cut-off instead of inventing one from the sample, and prints this reason.
    norms_missing: str | None = Field(default=None, min_length=20)

    @model_validator(mode="after")
    def _norms_or_reason(self) -> Psychometrics:
        if self.norms_missing is not None and self.functional is not None:
            raise ValueError("norms_missing goes only with a scale that has no functional norm")
        return self


class Variant(Sourced):
    """A printed form whose questions come in another order than the catalogue's.

    ``items`` names, for each printed question in turn, the catalogue item it is; printed
    question k is answered under the k-th catalogue item id (q1, q2 ...). Scoring with the
    variant renames the answers to the catalogue items before the key is applied.
    """

    description: str
    items: tuple[Identifier, ...] = Field(min_length=1)


class Scale(_Strict):
    id: Identifier
    name: str
    items: tuple[Identifier, ...] = Field(min_length=1)
    method: ScaleMethod
    minimum: float
    maximum: float
    direction: Direction
    missing: MissingRule
    reverse_items: tuple[Identifier, ...] | None = None
    lookup_source: str | None = None
    lookup: dict[int, float] | None = None
    bands: Bands | None = None
    psychometrics: Psychometrics = Psychometrics()
    loinc: str | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Scale:
        if (self.method is ScaleMethod.LOOKUP) != (self.lookup is not None):
            raise ValueError(f"scale {self.id}: a lookup table goes with method lookup only")
        if self.method is ScaleMethod.LOOKUP and (
            self.lookup_source is None or self.missing.prorate
        ):
            raise ValueError(f"scale {self.id}: lookup needs lookup_source and no prorating")
        if self.missing.max_missing >= len(self.items):
            raise ValueError(f"scale {self.id}: max_missing must leave at least one item")
        if len(set(self.items)) != len(self.items):
            raise ValueError(f"scale {self.id}: an item is listed twice")
        if self.reverse_items is not None and not set(self.reverse_items) <= set(self.items):
            raise ValueError(f"scale {self.id}: reverse_items must be items of the scale")
        if self.bands is not None:
            first, last = self.bands.bands[0], self.bands.bands[-1]
            if first.minimum != self.minimum or last.maximum != self.maximum:
                raise ValueError(f"scale {self.id}: bands must cover the range exactly")
        return self


class Instrument(_Strict):
    id: Identifier
    name: str
    short_name: str
    version: str
    citation: str
    licence: Licence
    key_status: Literal["confirmed", "unconfirmed"]
    key_note: str | None = None
    item_text_included: bool
    instructions: str | None = None
    recall_period: str | None = None
    loinc: str | None = None
    response_sets: dict[Identifier, tuple[Option, ...]] = {}
    items: tuple[Item, ...] = Field(min_length=1)
    scales: tuple[Scale, ...] = Field(min_length=1)
    # Printed item orders in circulation when the key's own order is unconfirmed: a site
    # must name the one its form uses (see ``needs_variant``).
    variants: dict[Identifier, Variant] = {}

    @model_validator(mode="after")
    def _coherent(self) -> Instrument:
        item_ids = [item.id for item in self.items]
        if len(set(item_ids)) != len(item_ids):
            raise ValueError(f"{self.id}: item ids must be unique")
        for name, variant in self.variants.items():
            if sorted(variant.items) != sorted(item_ids):
                raise ValueError(f"{self.id}: variant {name} must list every item exactly once")
        scale_ids = [scale.id for scale in self.scales]
        if len(set(scale_ids)) != len(scale_ids):
            raise ValueError(f"{self.id}: scale ids must be unique")
        known = set(item_ids)
        for item in self.items:
            if item.response_set is not None and item.response_set not in self.response_sets:
                raise ValueError(f"{self.id}: item {item.id} names unknown set {item.response_set}")
            if self.licence.licence_class is LicenceClass.LICENSED and item.text is not None:
                raise ValueError(f"{self.id}: licensed instruments never ship item text")
            if self.item_text_included and item.text is None:
                raise ValueError(f"{self.id}: item {item.id} has no text")
        text_items = {item.id for item in self.items if item.kind is ItemKind.TEXT}
        for scale in self.scales:
            unknown = set(scale.items) - known
            if unknown:
                raise ValueError(f"{self.id}: scale {scale.id} names unknown items {unknown}")
            if set(scale.items) & text_items:
                raise ValueError(f"{self.id}: scale {scale.id} scores a text item")
            if scale.lookup_source is not None and scale.lookup_source not in scale_ids:
                raise ValueError(f"{self.id}: scale {scale.id} looks up unknown scale")
        return self

    @property
    def needs_variant(self) -> bool:
        """Whether a site must name its printed order (a variant) before using the key.

        True when the key is unconfirmed and the file lists printed orders in circulation.
        """
        return self.key_status == "unconfirmed" and bool(self.variants)

    def variant_mapping(self, name: str) -> dict[str, str]:
        """``{printed question id: catalogue item id}`` for the variant ``name``.

        Raises KeyError (naming the variants there are) for an unknown name.
        """
        if name not in self.variants:
            known = ", ".join(sorted(self.variants)) or "none"
            raise KeyError(f"{self.id} has no variant {name!r}; variants: {known}")
        printed = [item.id for item in self.items]
        return dict(zip(printed, self.variants[name].items, strict=True))

    def options_for(self, item: Item) -> tuple[Option, ...]:
        """The printed options of a choice item, from its own list or its response set."""
        if item.options is not None:
            return item.options
        if item.response_set is not None:
            return self.response_sets[item.response_set]
        return ()

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def scale(self, scale_id: str) -> Scale:
        for scale in self.scales:
            if scale.id == scale_id:
                return scale
        raise KeyError(scale_id)

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.kind is not ItemKind.TEXT)

    @property
    def safety_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.safety)
