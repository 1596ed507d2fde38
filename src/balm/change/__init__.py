"""Reliable and clinically significant change, group effects and longitudinal models.

Pure Python (no Django). The entry point is :func:`analyse_change`:

>>> import pandas as pd
>>> from balm.change import analyse_change
>>> data = pd.DataFrame({
...     "id": [1, 1, 2, 2, 3, 3],
...     "time": ["pre", "post"] * 3,
...     "score": [20.0, 8.0, 18.0, 17.0, 14.0, 15.0],
... })
>>> result = analyse_change(data, id="id", time="time", outcome="score",
...                         approach="distribution", reliability=0.9, better="lower")
>>> result.counts()["improved"]
1

Two published outcome definitions sit beside it: :func:`talking_therapies` (NHS Talking
Therapies recovery and reliable improvement from PHQ-9 and GAD-7) and :func:`immpact_change`
(IMMPACT thresholds of important change in pain intensity and interference).

Figures live in :mod:`balm.change.figures` (imported on demand: it loads matplotlib);
the linear mixed model in :mod:`balm.change.mixed`.
"""

from balm.change.analysis import (
    DEFAULT_APPROACH,
    DEFAULT_METHOD,
    ChangeCriterion,
    ChangeResult,
    HLMTest,
    analyse_change,
)
from balm.change.categories import (
    ALL_CATEGORIES,
    CATEGORIES_BY_APPROACH,
    Approach,
    Better,
    Category,
)
from balm.change.classify import (
    DEFAULT_PERCENTAGE,
    anchor_categories,
    combined_categories,
    distribution_categories,
    percentage_categories,
    statistical_categories,
)
from balm.change.cutoffs import (
    Cutoff,
    CutoffType,
    choose_cutoff,
    cutoff_a,
    cutoff_b,
    cutoff_c,
    distributions_overlap,
    is_dysfunctional,
    is_functional,
)
from balm.change.data import PrePost, ordered_timepoints, pre_post
from balm.change.effect_sizes import (
    EffectSize,
    cohens_dav,
    cohens_dz,
    hedges_gav,
    noncentrality_interval,
)
from balm.change.errors import ChangeInputError, MissingParameterError
from balm.change.group import GroupChange, group_change, summarise_change, timepoint_summary
from balm.change.immpact import (
    IMMPACT_CATEGORIES,
    ImmpactResult,
    immpact_change,
    immpact_domain_for,
)
from balm.change.individual import (
    IndividualChange,
    IndividualChanges,
    individual_change,
    individual_changes,
)
from balm.change.outcome_definitions import immpact_definitions, talking_therapies_definitions
from balm.change.parameters import Parameter, from_catalogue
from balm.change.reliable import (
    PRE_POST_METHODS,
    RCMethod,
    ReliableChange,
    rci_en,
    rci_gln,
    rci_ha,
    rci_hll,
    rci_jt,
    rci_nk,
    reliable_change,
    standard_error_of_difference,
    standard_error_of_measurement,
    standard_error_of_prediction,
)
from balm.change.sensitivity import method_sensitivity
from balm.change.talking_therapies import (
    TT_CATEGORIES,
    TalkingTherapiesResult,
    talking_therapies,
)

__all__ = [
    "ALL_CATEGORIES",
    "CATEGORIES_BY_APPROACH",
    "DEFAULT_APPROACH",
    "DEFAULT_METHOD",
    "DEFAULT_PERCENTAGE",
    "IMMPACT_CATEGORIES",
    "PRE_POST_METHODS",
    "TT_CATEGORIES",
    "Approach",
    "Better",
    "Category",
    "ChangeCriterion",
    "ChangeInputError",
    "ChangeResult",
    "Cutoff",
    "CutoffType",
    "EffectSize",
    "GroupChange",
    "HLMTest",
    "ImmpactResult",
    "IndividualChange",
    "IndividualChanges",
    "MissingParameterError",
    "Parameter",
    "PrePost",
    "RCMethod",
    "ReliableChange",
    "TalkingTherapiesResult",
    "analyse_change",
    "anchor_categories",
    "choose_cutoff",
    "cohens_dav",
    "cohens_dz",
    "combined_categories",
    "cutoff_a",
    "cutoff_b",
    "cutoff_c",
    "distribution_categories",
    "distributions_overlap",
    "from_catalogue",
    "group_change",
    "hedges_gav",
    "immpact_change",
    "immpact_definitions",
    "immpact_domain_for",
    "individual_change",
    "individual_changes",
    "is_dysfunctional",
    "is_functional",
    "method_sensitivity",
    "noncentrality_interval",
    "ordered_timepoints",
    "percentage_categories",
    "pre_post",
    "rci_en",
    "rci_gln",
    "rci_ha",
    "rci_hll",
    "rci_jt",
    "rci_nk",
    "reliable_change",
    "standard_error_of_difference",
    "standard_error_of_measurement",
    "standard_error_of_prediction",
    "statistical_categories",
    "summarise_change",
    "talking_therapies",
    "talking_therapies_definitions",
    "timepoint_summary",
]
