"""IMMPACT thresholds of clinically important change in chronic pain (Dworkin et al. 2008).

Thresholds come from ``outcome_definitions/immpact.yaml``. For a participant with pre score
x_pre > 0 and post score x_post (lower is better):

* percent domains (pain intensity): decrease = (x_pre - x_post) / x_pre; substantial when
  decrease >= 0.50, moderate when >= 0.30, minimal when >= 0.10;
* point domains (BPI interference): decrease = x_pre - x_post; minimal when >= 1;
* ``increased`` when x_post > x_pre (IMMPACT names no threshold for worsening);
* ``not_important`` otherwise (a smaller decrease, or no change).

A percentage of a zero baseline is undefined: such participants are excluded and counted.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from balm.change.data import pre_post
from balm.change.errors import ChangeInputError
from balm.change.outcome_definitions import ImmpactDomain, immpact_definitions
from balm.change.parameters import Parameter

#: Categories in reporting order (best first).
IMMPACT_CATEGORIES: tuple[str, ...] = (
    "substantial",
    "moderate",
    "minimal",
    "not_important",
    "increased",
)

# A decrease computed in floating point (0.3 as 2.1 / 7) may fall a hair short of a
# threshold it meets exactly; compare at this many decimals.
_DECIMALS = 9


@dataclass(frozen=True)
class ImmpactResult:
    """Result of :func:`immpact_change`.

    Attributes
    ----------
    participants : pandas.DataFrame
        Indexed by id: ``pre``, ``post``, ``change`` (post - pre), ``decrease`` (proportion
        of baseline for percent domains, points otherwise), ``category`` (missing when
        excluded), ``included``.
    domain : str
    n_total, n_included : int
    n_zero_baseline : int
        Participants excluded because a percentage of a zero baseline is undefined.
    pre_label, post_label : object
    parameters : tuple of Parameter
    notes : tuple of str
    """

    participants: pd.DataFrame
    domain: str
    n_total: int
    n_included: int
    n_zero_baseline: int
    pre_label: Any
    post_label: Any
    parameters: tuple[Parameter, ...]
    notes: tuple[str, ...] = ()

    @property
    def categories_used(self) -> tuple[str, ...]:
        """The categories this domain can assign, in reporting order."""
        levels = {level.label for level in immpact_definitions().domains[self.domain].levels}
        return tuple(c for c in IMMPACT_CATEGORIES if c in levels or c in _ALWAYS)

    def counts(self) -> dict[str, int]:
        """Participants per category, over those analysed."""
        tally = self.participants["category"].value_counts(dropna=True)
        return {c: int(tally.get(c, 0)) for c in self.categories_used}

    def summary_dict(self) -> dict[str, Any]:
        """The machine-readable summary used by ``balm change --json``."""
        return {
            "approach": "immpact",
            "domain": self.domain,
            "n_total": self.n_total,
            "n_included": self.n_included,
            "n_zero_baseline": self.n_zero_baseline,
            "categories": self.counts(),
            "parameters": [
                {"name": p.name, "value": p.value, "source": p.source} for p in self.parameters
            ],
        }


_ALWAYS = ("not_important", "increased")


def immpact_domain_for(instrument: str, scale: str = "total") -> str | None:
    """The IMMPACT domain whose thresholds apply to a catalogue scale, or None."""
    key = f"{instrument}/{scale}"
    for name, domain in immpact_definitions().domains.items():
        if key in domain.applies_to:
            return name
    return None


def immpact_change(
    data: pd.DataFrame,
    *,
    id: str,
    time: str,
    outcome: str,
    domain: str | None = None,
    instrument: str | None = None,
    scale: str = "total",
    pre: Hashable | None = None,
    post: Hashable | None = None,
) -> ImmpactResult:
    """Classify each participant's change by the IMMPACT thresholds.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data: one row per participant per timepoint.
    id, time, outcome : str
        Column names.
    domain : {"pain_intensity", "interference"}, optional
        Which IMMPACT thresholds; default from ``instrument``/``scale`` (``nrs`` total:
        pain intensity; ``bpi_sf`` interference: interference).
    instrument, scale : str, optional
        A catalogue scale, to find the domain.
    pre, post : optional
        Time values to compare; default first and last timepoint.

    Returns
    -------
    ImmpactResult

    Raises
    ------
    ChangeInputError
        When no domain is given or implied, the domain does not fit the instrument, a score
        lies outside 0-10, or no participant can be analysed.

    References
    ----------
    Dworkin RH et al. (2008). Interpreting the clinical importance of treatment outcomes in
    chronic pain clinical trials: IMMPACT recommendations. J Pain 9(2):105-121, Table 1.
    """
    spec = immpact_definitions()
    chosen = _domain(domain, instrument, scale)
    rule: ImmpactDomain = spec.domains[chosen]
    pairs = pre_post(data, id=id, time=time, outcome=outcome, pre=pre, post=post)
    table = pairs.table[["pre", "post"]].copy()
    values = table.to_numpy(dtype=np.float64)
    if ((values < 0) | (values > 10)).any():
        raise ChangeInputError(f"{outcome!r}: IMMPACT thresholds are for 0-10 scores")
    pre_a = table["pre"].to_numpy(dtype=np.float64)
    post_a = table["post"].to_numpy(dtype=np.float64)
    complete = ~np.isnan(pre_a) & ~np.isnan(post_a)
    zero = complete & (pre_a == 0) if rule.kind == "percent_decrease" else np.zeros_like(complete)
    included = complete & ~zero
    if not included.any():
        raise ChangeInputError(
            f"no participant has a pre ({pairs.pre_label!r}) and a post "
            f"({pairs.post_label!r}) score to compare"
            + (" (a zero baseline has no percentage change)" if zero.any() else "")
        )
    points = pre_a - post_a
    with np.errstate(divide="ignore", invalid="ignore"):
        decrease = points / pre_a if rule.kind == "percent_decrease" else points
    decrease = np.where(included, np.round(decrease, _DECIMALS), np.nan)
    conditions = [decrease >= level.at_least for level in rule.levels]
    labels = [level.label for level in rule.levels]
    category = np.select(
        [*conditions, post_a > pre_a], [*labels, "increased"], default="not_important"
    ).astype(object)
    category[~included] = None
    table["change"] = post_a - pre_a
    table["decrease"] = decrease
    table["category"] = pd.Categorical(category, categories=list(IMMPACT_CATEGORIES))
    table["included"] = included
    notes: list[str] = []
    if pairs.defaulted:
        notes.append(
            f"pre and post not given: using the first and last timepoints, "
            f"{pairs.pre_label!r} and {pairs.post_label!r}"
        )
    if zero.any():
        notes.append(
            f"{int(zero.sum())} participant(s) scored 0 at pre: a percentage of a zero "
            "baseline is undefined, so they are left out"
        )
    unit = "as a proportion of baseline" if rule.kind == "percent_decrease" else "in points"
    parameters = (
        *(
            Parameter(
                f"{chosen}_{level.label}", level.at_least, f"{level.description}; {spec.source}"
            )
            for level in rule.levels
        ),
        Parameter("domain", chosen, f"{rule.description} (decrease {unit})"),
    )
    return ImmpactResult(
        participants=table,
        domain=chosen,
        n_total=int(table.shape[0]),
        n_included=int(included.sum()),
        n_zero_baseline=int(zero.sum()),
        pre_label=pairs.pre_label,
        post_label=pairs.post_label,
        parameters=parameters,
        notes=tuple(notes),
    )


def _domain(domain: str | None, instrument: str | None, scale: str) -> str:
    spec = immpact_definitions()
    known = ", ".join(sorted(spec.domains))
    implied = immpact_domain_for(instrument, scale) if instrument is not None else None
    if domain is None:
        if implied is not None:
            return implied
        fits = "; ".join(f"{n}: {', '.join(d.applies_to)}" for n, d in spec.domains.items())
        what = f"{instrument}/{scale} is not an IMMPACT measure" if instrument else "no domain"
        raise ChangeInputError(
            f"{what}: give the IMMPACT domain ({known}). The thresholds were set for {fits}"
        )
    if domain not in spec.domains:
        raise ChangeInputError(f"IMMPACT domain must be one of {known}; got {domain!r}")
    if implied is not None and implied != domain:
        raise ChangeInputError(
            f"{instrument}/{scale} is measured in the IMMPACT domain {implied!r}, not {domain!r}"
        )
    return domain
