"""The individual change analysis: one call from long data to a category per participant."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

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
from balm.change.cutoffs import Cutoff, CutoffType, choose_cutoff
from balm.change.data import check_columns, numeric_outcome, ordered_timepoints, pre_post
from balm.change.errors import ChangeInputError, MissingParameterError
from balm.change.parameters import CatalogueValues, Parameter, ParameterSet, from_catalogue
from balm.change.reliable import (
    Z_TWO_SIDED,
    RCMethod,
    check_reliability,
    classify_index,
    reliable_change,
)

#: Defaults when not asked: the combined approach of Jacobson & Truax (1991) with their
#: reliable change index, as in clinicalsignificance.
DEFAULT_APPROACH = Approach.COMBINED
DEFAULT_METHOD = RCMethod.JT


@dataclass(frozen=True)
class ChangeResult:
    """Result of :func:`analyse_change`.

    Attributes
    ----------
    participants : pandas.DataFrame
        One row per participant in the data, indexed by id: ``pre``, ``post``, ``change``
        (post - pre), ``index`` (the RC index, HLM z, benefit in points for anchor,
        relative benefit for percentage, NaN for statistical), ``category`` (missing for
        excluded participants), ``included`` and ``group`` when grouped. For HLM, pre and
        post are the model-fitted values at the first and last timepoint.
    n_total, n_included : int
        Participants in the data set and participants analysed.
    approach : Approach
    method : RCMethod or None
        The reliable change method (None for approaches that use none).
    better : Better
    pre_label, post_label : object
        The time values compared (for HLM: first and last timepoint).
    timepoints_defaulted : bool
        True when pre and post were not given and were taken as first and last.
    cutoff : Cutoff or None
    parameters : tuple of Parameter
        Every number used, with its source.
    constants : dict
        Intermediate numbers of the reliable change method (SE, S_diff, r_DD ...).
    notes : tuple of str
        Choices made on the user's behalf, in words.
    change_criterion : str
        ``reliable`` or ``mid`` (combined approach with an MID, "CWB").
    """

    participants: pd.DataFrame
    n_total: int
    n_included: int
    approach: Approach
    method: RCMethod | None
    better: Better
    pre_label: Any
    post_label: Any
    timepoints_defaulted: bool
    cutoff: Cutoff | None
    parameters: tuple[Parameter, ...]
    constants: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    change_criterion: str = "reliable"

    @property
    def categories_used(self) -> tuple[Category, ...]:
        """The categories this approach can assign, in reporting order."""
        return CATEGORIES_BY_APPROACH[self.approach]

    def counts(self) -> dict[str, int]:
        """Participants per category (all five; unused ones are 0), over those analysed."""
        cats = self.participants["category"]
        tally = cats.value_counts(dropna=True)
        return {c.value: int(tally.get(c.value, 0)) for c in ALL_CATEGORIES}

    def group_counts(self) -> dict[str, dict[str, int]]:
        """Counts per category within each group (empty when not grouped)."""
        if "group" not in self.participants.columns:
            return {}
        out: dict[str, dict[str, int]] = {}
        table = self.participants.loc[self.participants["included"]]
        for name, part in table.groupby("group", sort=True, observed=True, dropna=True):
            tally = part["category"].value_counts()
            out[str(name)] = {c.value: int(tally.get(c.value, 0)) for c in ALL_CATEGORIES}
        return out

    def parameter(self, name: str) -> Parameter | None:
        """The parameter called ``name``, if it was used."""
        for p in self.parameters:
            if p.name == name:
                return p
        return None

    def _method_name(self) -> str:
        if self.method is not None:
            return self.method.value
        return "mid" if self.change_criterion == "mid" else "none"

    def summary_dict(self) -> dict[str, Any]:
        """The machine-readable summary used by ``balm change --json``."""
        return {
            "n_total": self.n_total,
            "n_included": self.n_included,
            "approach": self.approach.value,
            "method": self._method_name(),
            "cutoff": None if self.cutoff is None else float(self.cutoff.value),
            "categories": self.counts(),
            "groups": self.group_counts(),
        }


def analyse_change(
    data: pd.DataFrame,
    *,
    id: str,
    time: str,
    outcome: str,
    pre: Hashable | None = None,
    post: Hashable | None = None,
    group: str | None = None,
    approach: Approach | str = DEFAULT_APPROACH,
    method: RCMethod | str = DEFAULT_METHOD,
    reliability: float | None = None,
    reliability_post: float | None = None,
    better: Better | str | None = None,
    instrument: str | None = None,
    scale: str = "total",
    m_clinical: float | None = None,
    sd_clinical: float | None = None,
    m_functional: float | None = None,
    sd_functional: float | None = None,
    cutoff: CutoffType | str = CutoffType.AUTO,
    cutoff_value: float | None = None,
    mid: float | None = None,
    mid_deterioration: float | None = None,
    percentage: float | None = None,
    percentage_deterioration: float | None = None,
    critical_value: float | None = None,
    hlm_test: HLMTest | str = "slope",
    hlm_min_observations: int = 3,
    change_criterion: ChangeCriterion | str = "reliable",
) -> ChangeResult:
    """Classify each participant's change from long data.

    Approaches (Claus, Wager & Bonnet 2024; Jacobson & Truax 1991):

    * ``distribution``: improved / unchanged / deteriorated by a reliable change index
      (``method``: jt, gln, en, hll, nk, ha, or hlm over all timepoints);
    * ``statistical``: improved when the score moves from the dysfunctional to the
      functional side of the cut-off, deteriorated for the reverse;
    * ``combined``: recovered (reliable improvement and crossed into the functional
      range), improved, unchanged, deteriorated, harmed (reliable deterioration and
      crossed out of the functional range);
    * ``anchor``: change in the better direction of at least the MID;
    * ``percentage``: change of at least a percentage of baseline (default 30 %).

    Participants without both a pre and a post score are excluded from the pre-post
    methods and counted (``n_total`` vs ``n_included``).

    Parameters
    ----------
    data : pandas.DataFrame
        Long data: one row per participant per timepoint.
    id, time, outcome : str
        Column names.
    pre, post : optional
        Time values to compare; default first and last timepoint (numeric order, or the
        natural order of words like pre/post, before/after, else text order).
    group : str, optional
        Column to report counts by (cohort, format, diagnosis, site ...).
    approach : {"distribution", "statistical", "combined", "anchor", "percentage"}
    method : {"jt", "gln", "en", "hll", "nk", "ha", "hlm"}
    reliability, reliability_post : float, optional
        In (0, 1). ``reliability_post`` is used by NK and HA only.
    better : {"lower", "higher"}, optional
        Which direction is better; from the instrument when not given.
    instrument, scale : str, optional
        A catalogue instrument: fills reliability, direction, norms, published cut-off and
        MID when they are not given. Explicit arguments win and are recorded as given.
    m_clinical, sd_clinical : float, optional
        Clinical norms; default to the catalogue, else the sample at baseline (those
        analysed).
    m_functional, sd_functional : float, optional
        Functional norms, needed for cut-offs b and c.
    cutoff : {"auto", "a", "b", "c", "published"}
        See :func:`balm.change.cutoffs.choose_cutoff`.
    cutoff_value : float, optional
        A fixed cut-off; giving it implies ``cutoff="published"``.
    mid, mid_deterioration : float, optional
        Minimal important difference (anchor approach).
    percentage, percentage_deterioration : float, optional
        Proportions of baseline for the percentage approach (default 0.30).
    critical_value : float, optional
        Override the critical value of the reliable change index.
    hlm_test : {"slope", "deviation"}
        For ``method="hlm"``: ``slope`` (default) tests each participant's own empirical
        Bayes slope against 0 (z = slope / SE, SE from the prediction error variance; did
        this person change?); ``deviation`` tests the random-slope deviation from the
        average slope against its conditional SD, which is what clinicalsignificance
        reports (did this person change differently from the average participant?).
    change_criterion : {"reliable", "mid"}
        For the combined approach: ``reliable`` (Jacobson & Truax) needs a reliable change;
        ``mid`` needs a change of at least the MID instead (Claus, Wager & Bonnet 2024).
    hlm_min_observations : int
        For ``method="hlm"``: participants with fewer observations are left out of the
        model and the analysis (default 3, as clinicalsignificance).

    Returns
    -------
    ChangeResult

    Raises
    ------
    ChangeInputError
        For problems with the data or parameters (message is user-facing).
    MissingParameterError
        When a number the analysis needs is neither given nor in the catalogue.
    """
    kind = _parse(Approach, approach, "approach")
    rc_method = _parse(RCMethod, method, "method")
    catalogue = from_catalogue(instrument, scale) if instrument is not None else None
    params = ParameterSet(
        {
            "better": None if better is None else _parse(Better, better, "better").value,
            "reliability": reliability,
            "reliability_post": reliability_post,
            "m_clinical": m_clinical,
            "sd_clinical": sd_clinical,
            "m_functional": m_functional,
            "sd_functional": sd_functional,
            "cutoff_value": cutoff_value,
            "mid": mid,
            "mid_deterioration": mid_deterioration,
            "percentage": percentage,
            "percentage_deterioration": percentage_deterioration,
            "critical_value": critical_value,
        },
        catalogue,
    )
    better_value = params.get("better")
    if better_value is None:
        raise MissingParameterError(
            "which direction is better (better='lower' or 'higher')",
            "every change analysis",
            "or give an instrument from the catalogue",
        )
    direction = Better(str(better_value))
    criterion = _parse(ChangeCriterion, change_criterion, "change_criterion")
    if criterion is ChangeCriterion.MID and kind is not Approach.COMBINED:
        raise ChangeInputError("change_criterion 'mid' goes with the combined approach only")
    notes: list[str] = []
    kind, cutoff = _without_norms(kind, criterion, cutoff, catalogue, params, notes)
    uses_rc = kind is Approach.DISTRIBUTION or (
        kind is Approach.COMBINED and criterion is ChangeCriterion.RELIABLE
    )
    uses_cutoff = kind in (Approach.STATISTICAL, Approach.COMBINED)

    if uses_rc and rc_method is RCMethod.HLM:
        return _analyse_hlm(
            data,
            id,
            time,
            outcome,
            group,
            kind,
            direction,
            params,
            cutoff,
            notes,
            hlm_test,
            hlm_min_observations,
        )

    pairs = pre_post(data, id=id, time=time, outcome=outcome, pre=pre, post=post, group=group)
    if pairs.defaulted:
        notes.append(
            f"pre and post not given: using the first and last timepoints, "
            f"{pairs.pre_label!r} and {pairs.post_label!r}"
        )
    table = pairs.table.copy()
    included = (table["pre"].notna() & table["post"].notna()).to_numpy()
    complete = table.loc[included]
    pre_a = complete["pre"].to_numpy(dtype=np.float64)
    post_a = complete["post"].to_numpy(dtype=np.float64)
    if pre_a.size == 0:
        raise ChangeInputError(
            f"no participant has both a pre ({pairs.pre_label!r}) and a post "
            f"({pairs.post_label!r}) score"
        )

    index = np.full(pre_a.size, np.nan)
    constants: dict[str, float] = {}
    improved = deteriorated = np.zeros(pre_a.size, dtype=bool)
    if uses_rc:
        rel = params.number("reliability")
        if rel is None:
            where = (
                f"the catalogue has none for {catalogue.instrument}/{catalogue.scale}; "
                if catalogue is not None
                else ""
            )
            raise MissingParameterError(
                "reliability",
                f"the {rc_method.value} reliable change index",
                f"{where}give reliability or an instrument with a reliability in the catalogue, "
                "or use an approach without reliable change (anchor, percentage; for pain "
                "ratings the immpact approach of balm change)",
            )
        check_reliability(rel)
        rel_post = params.number("reliability_post")
        if rel_post is not None:
            check_reliability(rel_post, "reliability_post")
        crit = params.number("critical_value")
        rc = reliable_change(
            pre_a,
            post_a,
            method=rc_method,
            reliability=rel,
            better=direction,
            reliability_post=rel_post if rc_method in (RCMethod.NK, RCMethod.HA) else None,
            critical_value=crit,
        )
        index, improved, deteriorated = rc.index, rc.improved, rc.deteriorated
        constants = dict(rc.constants)
        if crit is None:
            params.record("critical_value", rc.critical_value, f"{rc_method.value} default")
        params.record(
            "sd_pre", constants["sd_pre"], f"sample at {pairs.pre_label!r} (n={pre_a.size})"
        )

    if criterion is ChangeCriterion.MID:
        # Claus, Wager & Bonnet (2024), "CWB": the combined approach with a change of at
        # least the MID in place of a reliable change.
        index, by_mid = anchor_categories(
            pre_a,
            post_a,
            _mid(params, "the combined approach with change_criterion 'mid'"),
            direction,
            params.number("mid_deterioration"),
        )
        improved = np.asarray(by_mid == Category.IMPROVED.value)
        deteriorated = np.asarray(by_mid == Category.DETERIORATED.value)

    chosen: Cutoff | None = None
    if uses_cutoff:
        chosen = _cutoff(params, cutoff, direction, pre_a, f"{pairs.pre_label!r}")

    if kind is Approach.DISTRIBUTION:
        categories = distribution_categories(improved, deteriorated)
    elif kind is Approach.STATISTICAL:
        assert chosen is not None
        categories = statistical_categories(pre_a, post_a, chosen.value, direction)
    elif kind is Approach.COMBINED:
        assert chosen is not None
        categories = combined_categories(
            improved, deteriorated, pre_a, post_a, chosen.value, direction
        )
    elif kind is Approach.ANCHOR:
        index, categories = anchor_categories(
            pre_a,
            post_a,
            _mid(params, "the anchor approach"),
            direction,
            params.number("mid_deterioration"),
        )
    else:
        pct = params.number("percentage")
        if pct is None:
            pct = DEFAULT_PERCENTAGE
            params.record(
                "percentage",
                pct,
                "default: IMMPACT (Dworkin et al. 2008, J Pain 9(2):105-121), a 30 % "
                "reduction in pain intensity is moderately important",
            )
        pct_det = params.number("percentage_deterioration")
        if not pct > 0 or (pct_det is not None and not pct_det > 0):
            raise ChangeInputError("percentages must be above 0 (e.g. 0.3 for 30 %)")
        index, categories = percentage_categories(pre_a, post_a, direction, pct, pct_det)

    return _result(
        table,
        included,
        pre_a,
        post_a,
        index,
        categories,
        pairs.table.shape[0],
        kind,
        rc_method if uses_rc else None,
        direction,
        pairs.pre_label,
        pairs.post_label,
        pairs.defaulted,
        chosen,
        params,
        constants,
        notes,
        criterion.value,
    )


class ChangeCriterion(StrEnum):
    """What counts as a change in the combined approach."""

    RELIABLE = "reliable"
    MID = "mid"


_NORMS = ("m_clinical", "sd_clinical", "m_functional", "sd_functional", "cutoff_value")


def _without_norms(
    kind: Approach,
    criterion: ChangeCriterion,
    cutoff: CutoffType | str,
    catalogue: CatalogueValues | None,
    params: ParameterSet,
    notes: list[str],
) -> tuple[Approach, CutoffType | str]:
    """The approach and cut-off to use when the catalogue says the scale has no usable norms.

    With an automatic cut-off and no norm or cut-off given, a, b and c would have to come from
    the sample alone. Where the catalogue has a published cut-off (for example PHQ-9 caseness
    at 10, Kroenke et al. 2001), that sourced cut-off judges recovery instead. Otherwise the
    combined approach falls back to reliable change only (distribution; anchor with
    ``change_criterion="mid"``) and says why; the statistical approach has nothing to fall
    back on and stops with the reason.
    """
    if (
        kind not in (Approach.COMBINED, Approach.STATISTICAL)
        or _parse(CutoffType, cutoff, "cutoff") is not CutoffType.AUTO
        or catalogue is None
        or "norms_missing" not in catalogue.values
        or any(params.is_given(name) for name in _NORMS)
    ):
        return kind, cutoff
    missing = catalogue.values["norms_missing"]
    where = f"{catalogue.instrument}/{catalogue.scale}"
    why = missing.source.split(": ", 1)[-1]
    params.record("norms_missing", missing.value, missing.source)
    published = params.number("cutoff_value")
    if published is not None:
        notes.append(
            f"no usable published norms for {where}, so cut-off a, b or c cannot be set from "
            f"norms; the catalogue's published cut-off {published:g} judges recovery instead "
            f"(its source is listed with the parameters). Why no norms: {why}"
        )
        return kind, CutoffType.PUBLISHED
    hint = (
        "give functional norms (m_functional and sd_functional), a published cutoff_value, "
        "or choose cutoff 'a' to judge recovery against the sample's own baseline"
    )
    if kind is Approach.STATISTICAL:
        raise MissingParameterError(
            f"published norms, and the catalogue has none for {where} ({missing.source})",
            "the statistical approach with an automatic cut-off",
            hint,
        )
    fallback = Approach.ANCHOR if criterion is ChangeCriterion.MID else Approach.DISTRIBUTION
    notes.append(
        f"no usable published norms for {where}, so no clinical cut-off: reporting "
        f"{'change of at least the MID' if fallback is Approach.ANCHOR else 'reliable change'}"
        f" only ({fallback.value} approach). Why: {why} To judge recovery anyway, {hint}."
    )
    return fallback, cutoff


def _mid(params: ParameterSet, needed_for: str) -> float:
    value = params.number("mid")
    if value is None:
        raise MissingParameterError(
            "a minimal important difference (mid)",
            needed_for,
            "give mid or an instrument with an MID in the catalogue",
        )
    if not value > 0:
        raise ChangeInputError(f"mid must be above 0, got {value}")
    return value


class HLMTest(StrEnum):
    """What the HLM method tests for each participant (see :func:`analyse_change`)."""

    SLOPE = "slope"
    DEVIATION = "deviation"


_HLM_TEST_SOURCE = {
    HLMTest.SLOPE: "each participant's empirical Bayes slope against 0 (balm.change.mixed)",
    HLMTest.DEVIATION: (
        "random-slope deviation from the average slope over its conditional SD "
        "(as clinicalsignificance::cs_distribution, rci_method = 'HLM')"
    ),
}


def _hlm_slopes(long: pd.DataFrame, test: HLMTest) -> pd.DataFrame:
    """Columns z, fitted_first, fitted_last per participant id."""
    if test is HLMTest.SLOPE:
        from balm.change.mixed import empirical_bayes_slopes

        return empirical_bayes_slopes(long, id="id", time="time", outcome="outcome")
    from balm.change.mixed import fit_growth_model

    fit = fit_growth_model(long, id="id", time="time", outcome="outcome")
    re = fit.random_effects
    fixed = fit.fixed_effects["estimate"]
    b0 = float(fixed.iloc[0])
    b1 = float(fixed.iloc[1])
    span = long.groupby("id")["time"].agg(["min", "max"]).reindex(re.index)
    intercept = b0 + re["intercept"]
    slope = b1 + re["slope"]
    return pd.DataFrame(
        {
            "z": re["slope"] / re["slope_se"],
            "fitted_first": intercept + slope * span["min"],
            "fitted_last": intercept + slope * span["max"],
        },
        index=re.index,
    )


def _parse(enum: Any, value: Any, name: str) -> Any:
    try:
        return enum(str(value).lower())
    except ValueError as error:
        allowed = ", ".join(m.value for m in enum)
        raise ChangeInputError(f"{name} must be one of {allowed}; got {value!r}") from error


def _cutoff(
    params: ParameterSet,
    cutoff: CutoffType | str,
    direction: Better,
    pre_a: np.ndarray[Any, np.dtype[np.float64]],
    pre_label: str,
) -> Cutoff:
    kind = _parse(CutoffType, cutoff, "cutoff")
    if params.is_given("cutoff_value") and kind is not CutoffType.PUBLISHED:
        kind = CutoffType.PUBLISHED
    if kind is CutoffType.PUBLISHED:
        value = params.number("cutoff_value")
        chosen = choose_cutoff(
            kind, better=direction, m_clinical=None, sd_clinical=None, published=value
        )
        params.record("cutoff", chosen.value, params.used["cutoff_value"].source)
        return chosen
    m_c = params.number("m_clinical")
    sd_c = params.number("sd_clinical")
    if m_c is None or sd_c is None:
        if pre_a.size < 2:
            raise ChangeInputError("the sample needs at least 2 participants for a clinical SD")
        source = f"sample at {pre_label} (n={pre_a.size})"
        if m_c is None:
            m_c = float(pre_a.mean())
            params.record("m_clinical", m_c, source)
        if sd_c is None:
            sd_c = float(np.std(pre_a, ddof=1))
            params.record("sd_clinical", sd_c, source)
    m_f = params.number("m_functional")
    sd_f = params.number("sd_functional")
    chosen = choose_cutoff(
        kind,
        better=direction,
        m_clinical=m_c,
        sd_clinical=sd_c,
        m_functional=m_f,
        sd_functional=sd_f,
    )
    params.record("cutoff", chosen.value, f"cut-off {chosen.type.value}: {chosen.reason}")
    return chosen


def _result(
    table: pd.DataFrame,
    included: np.ndarray[Any, np.dtype[np.bool_]],
    pre_a: np.ndarray[Any, np.dtype[np.float64]],
    post_a: np.ndarray[Any, np.dtype[np.float64]],
    index: np.ndarray[Any, np.dtype[np.float64]],
    categories: pd.Categorical,
    n_total: int,
    kind: Approach,
    method: RCMethod | None,
    direction: Better,
    pre_label: Any,
    post_label: Any,
    defaulted: bool,
    chosen: Cutoff | None,
    params: ParameterSet,
    constants: dict[str, float],
    notes: list[str],
    criterion: str = "reliable",
) -> ChangeResult:
    out = table.copy()
    out.loc[included, "pre"] = pre_a
    out.loc[included, "post"] = post_a
    out["change"] = out["post"] - out["pre"]
    full_index = np.full(out.shape[0], np.nan)
    full_index[included] = index
    out["index"] = full_index
    codes = np.full(out.shape[0], -1, dtype=np.int8)
    codes[included] = categories.codes
    out["category"] = pd.Categorical.from_codes(
        codes, categories=pd.Index([str(c) for c in categories.categories])
    )
    out["included"] = included
    order = ["pre", "post", "change", "index", "category", "included"]
    if "group" in out.columns:
        order.append("group")
    return ChangeResult(
        participants=out[order],
        n_total=int(n_total),
        n_included=int(included.sum()),
        approach=kind,
        method=method,
        better=direction,
        pre_label=pre_label,
        post_label=post_label,
        timepoints_defaulted=defaulted,
        cutoff=chosen,
        parameters=params.as_tuple(),
        constants=constants,
        notes=tuple(notes),
        change_criterion=criterion,
    )


def _analyse_hlm(
    data: pd.DataFrame,
    id: str,
    time: str,
    outcome: str,
    group: str | None,
    kind: Approach,
    direction: Better,
    params: ParameterSet,
    cutoff: CutoffType | str,
    notes: list[str],
    hlm_test: HLMTest | str,
    min_observations: int,
) -> ChangeResult:
    """HLM: empirical Bayes slope of each participant over all timepoints.

    Reliable when |z| = |slope / SE(slope)| > 1.96 (two-sided 5 %), in the direction of
    the slope; the clinical cut-off side uses the model-fitted values at the first and
    last timepoint (Raudenbush & Bryk 2002; Claus et al. 2024, section 2.2).
    """
    check_columns(data, [id, time, outcome, group])
    test = _parse(HLMTest, hlm_test, "hlm_test")
    scores = numeric_outcome(data, outcome)
    timepoints = ordered_timepoints(data[time])
    if len(timepoints) < 3:
        raise ChangeInputError(
            f"the hlm method needs at least 3 timepoints; {time!r} has {len(timepoints)}"
        )
    long = pd.DataFrame({"id": data[id].to_numpy(), "outcome": scores.to_numpy()})
    if pd.api.types.is_numeric_dtype(data[time]):
        long["time"] = data[time].to_numpy(dtype=np.float64)
    else:
        rank = {v: float(i) for i, v in enumerate(timepoints)}
        long["time"] = data[time].map(rank).to_numpy(dtype=np.float64)
        notes.append(
            "time values are not numbers: coded "
            + ", ".join(f"{v!r}={i}" for i, v in enumerate(timepoints))
        )
    long = long.dropna()
    n_obs = long.groupby("id")["outcome"].transform("count")
    long = long.loc[n_obs >= min_observations]
    params.record(
        "hlm_min_observations",
        float(min_observations),
        "participants with fewer observations are excluded before fitting "
        "(3, as clinicalsignificance, by default)",
    )
    slopes = _hlm_slopes(long, test)
    params.record("hlm_test", test.value, _HLM_TEST_SOURCE[test])
    all_ids = pd.Index(pd.unique(data[id]), name=id)
    slopes = slopes.loc[np.isfinite(slopes["z"].to_numpy(dtype=np.float64))]
    table = pd.DataFrame(index=all_ids)
    table["pre"] = slopes["fitted_first"].reindex(all_ids)
    table["post"] = slopes["fitted_last"].reindex(all_ids)
    if group is not None:
        from balm.change.data import participant_groups

        table["group"] = participant_groups(data, id, group).reindex(all_ids)
    z = slopes["z"].reindex(all_ids)
    included = z.notna().to_numpy()
    pre_a = table.loc[included, "pre"].to_numpy(dtype=np.float64)
    post_a = table.loc[included, "post"].to_numpy(dtype=np.float64)
    index = z.loc[included].to_numpy(dtype=np.float64)
    crit = params.number("critical_value")
    if crit is None:
        crit = Z_TWO_SIDED
        params.record("critical_value", crit, "hlm default: two-sided 5 % (|z| > 1.96)")
    improved, deteriorated = classify_index(index, crit, direction)
    chosen: Cutoff | None = None
    if kind is Approach.COMBINED:
        # Clinical norms describe observed scores: take them from the observed scores at
        # the first timepoint of the participants analysed, not the (shrunken) fitted ones.
        first_time = long["time"].min()
        analysed = set(all_ids[included])
        baseline = long.loc[(long["time"] == first_time) & long["id"].isin(analysed), "outcome"]
        chosen = _cutoff(
            params,
            cutoff,
            direction,
            baseline.to_numpy(dtype=np.float64),
            f"{timepoints[0]!r} (observed)",
        )
        categories = combined_categories(
            improved, deteriorated, pre_a, post_a, chosen.value, direction
        )
    else:
        categories = distribution_categories(improved, deteriorated)
    params.record(
        "model", "outcome ~ time + (time | id), REML", "balm.change.mixed (linear mixed model)"
    )
    notes.append(
        "hlm: pre and post are the model-fitted values at each participant's first and "
        "last observation; index is z of the slope"
    )
    return _result(
        table,
        included,
        pre_a,
        post_a,
        index,
        categories,
        len(all_ids),
        kind,
        RCMethod.HLM,
        direction,
        timepoints[0],
        timepoints[-1],
        True,
        chosen,
        params,
        {},
        notes,
    )
