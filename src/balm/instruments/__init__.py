"""The instrument catalogue and the vectorised scoring engine (pure Python, no Django).

>>> import pandas as pd
>>> from balm.instruments import score
>>> answers = pd.DataFrame({f"q{i}": [1] for i in range(1, 10)})
>>> score("phq9", answers).scores["total"].iloc[0]
np.float64(9.0)
"""

from balm.instruments.catalogue import (
    CatalogueError,
    UnknownInstrumentError,
    catalogue,
    get_instrument,
)
from balm.instruments.engine import (
    SCORER_VERSION,
    Problem,
    ResponseValidationError,
    ScoreResult,
    parse_answers,
    safety_flags,
    score,
    score_matrix,
    score_one,
)
from balm.instruments.schema import Direction, Instrument, Item, LicenceClass, Scale

__all__ = [
    "SCORER_VERSION",
    "CatalogueError",
    "Direction",
    "Instrument",
    "Item",
    "LicenceClass",
    "Problem",
    "ResponseValidationError",
    "Scale",
    "ScoreResult",
    "UnknownInstrumentError",
    "catalogue",
    "get_instrument",
    "parse_answers",
    "safety_flags",
    "score",
    "score_matrix",
    "score_one",
]
