"""``balm change``: reliable and clinically significant change from a long CSV file.

A thin layer over :mod:`balm.change`: read the file, call
:func:`balm.change.analyse_change`, print a summary (or one JSON object), and write the
per-participant table and the figure only when everything succeeded.
"""

from __future__ import annotations

import json
import math
import re
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from balm.cli.common import fail, read_long_csv

if TYPE_CHECKING:
    import pandas as pd

    from balm.change import ChangeResult


class ApproachChoice(StrEnum):
    DISTRIBUTION = "distribution"
    STATISTICAL = "statistical"
    COMBINED = "combined"
    ANCHOR = "anchor"
    PERCENTAGE = "percentage"
    TALKING_THERAPIES = "talking-therapies"
    IMMPACT = "immpact"


class MethodChoice(StrEnum):
    JT = "jt"
    GLN = "gln"
    EN = "en"
    HLL = "hll"
    NK = "nk"
    HA = "ha"
    HLM = "hlm"


class BetterChoice(StrEnum):
    LOWER = "lower"
    HIGHER = "higher"


class CriterionChoice(StrEnum):
    RELIABLE = "reliable"
    MID = "mid"


class HLMTestChoice(StrEnum):
    SLOPE = "slope"
    DEVIATION = "deviation"


class CutoffChoice(StrEnum):
    A = "a"
    B = "b"
    C = "c"
    AUTO = "auto"
    PUBLISHED = "published"


_FLAGS = {
    name: "--" + name.replace("_", "-")
    for name in (
        "m_functional",
        "sd_functional",
        "m_clinical",
        "sd_clinical",
        "cutoff_value",
        "reliability_post",
    )
}


def _as_flags(message: str) -> str:
    """Name the command's options where the library names its arguments."""
    for name, flag in _FLAGS.items():
        message = re.sub(rf"\b{name}\b", flag, message)
    message = message.replace("better='lower' or 'higher'", "--better lower or higher")
    message = message.replace("choose cutoff 'a'", "give --cutoff a")
    message = message.replace("give reliability or", "give --reliability or")
    return message.replace("give an instrument from", "give --instrument from")


def change(
    data_file: Annotated[
        Path,
        typer.Argument(metavar="DATA.csv", help="Long CSV: one row per participant per timepoint."),
    ],
    id: Annotated[str, typer.Option("--id", help="Participant id column.")],
    time: Annotated[str, typer.Option("--time", help="Timepoint column.")],
    outcome: Annotated[
        str | None,
        typer.Option("--outcome", help="Score column (every approach but talking-therapies)."),
    ] = None,
    pre: Annotated[
        str | None, typer.Option("--pre", help="Time value of the pre score (default: first).")
    ] = None,
    post: Annotated[
        str | None, typer.Option("--post", help="Time value of the post score (default: last).")
    ] = None,
    approach: Annotated[
        ApproachChoice | None,
        typer.Option(
            "--approach",
            help="Default: combined. talking-therapies: NHS Talking Therapies recovery and "
            "reliable improvement from --phq9 and --gad7; immpact: IMMPACT thresholds of "
            "important change in pain.",
        ),
    ] = None,
    phq9: Annotated[
        str | None, typer.Option("--phq9", help="talking-therapies: PHQ-9 total column.")
    ] = None,
    gad7: Annotated[
        str | None, typer.Option("--gad7", help="talking-therapies: GAD-7 total column.")
    ] = None,
    immpact_domain: Annotated[
        str | None,
        typer.Option(
            "--immpact-domain",
            help="immpact: pain_intensity or interference (default: from --instrument).",
        ),
    ] = None,
    method: Annotated[
        MethodChoice | None, typer.Option("--method", help="Reliable change method. Default: jt.")
    ] = None,
    reliability: Annotated[
        float | None, typer.Option("--reliability", help="Reliability in (0, 1).")
    ] = None,
    reliability_post: Annotated[
        float | None, typer.Option("--reliability-post", help="Post reliability (nk, ha).")
    ] = None,
    better: Annotated[
        BetterChoice | None, typer.Option("--better", help="Which direction is better.")
    ] = None,
    instrument: Annotated[
        str | None, typer.Option("--instrument", help="Catalogue instrument id, e.g. phq9.")
    ] = None,
    scale: Annotated[str, typer.Option("--scale", help="Scale of the instrument.")] = "total",
    m_functional: Annotated[float | None, typer.Option("--m-functional")] = None,
    sd_functional: Annotated[float | None, typer.Option("--sd-functional")] = None,
    m_clinical: Annotated[
        float | None, typer.Option("--m-clinical", help="Default: sample at pre.")
    ] = None,
    sd_clinical: Annotated[
        float | None, typer.Option("--sd-clinical", help="Default: sample at pre.")
    ] = None,
    cutoff: Annotated[
        CutoffChoice, typer.Option("--cutoff", help="Cut-off type.")
    ] = CutoffChoice.AUTO,
    cutoff_value: Annotated[
        float | None, typer.Option("--cutoff-value", help="A fixed cut-off score.")
    ] = None,
    mid: Annotated[
        float | None, typer.Option("--mid", help="Minimal important difference.")
    ] = None,
    change_criterion: Annotated[
        CriterionChoice,
        typer.Option(
            "--change-criterion",
            help="Combined approach: reliable change (Jacobson-Truax) or a change of at "
            "least --mid (Claus, Wager & Bonnet).",
        ),
    ] = CriterionChoice.RELIABLE,
    hlm_test: Annotated[
        HLMTestChoice,
        typer.Option(
            "--hlm-test",
            help="hlm: test each slope against 0 (slope) or its deviation from the average "
            "slope, as clinicalsignificance does (deviation).",
        ),
    ] = HLMTestChoice.SLOPE,
    percent: Annotated[
        float | None, typer.Option("--percent", help="Percentage of baseline (default 30).")
    ] = None,
    group: Annotated[str | None, typer.Option("--group", help="Report by this column.")] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write one row per participant (CSV).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object only.")] = False,
    sensitivity: Annotated[
        bool, typer.Option("--sensitivity", help="Counts under every method.")
    ] = False,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write the Jacobson plot (SVG).")
    ] = None,
) -> None:
    """Reliable and clinically significant change of each participant."""
    from balm.change import ChangeInputError, analyse_change, method_sensitivity

    if approach in (ApproachChoice.TALKING_THERAPIES, ApproachChoice.IMMPACT):
        if plot is not None or sensitivity:
            raise fail(f"--plot and --sensitivity do not go with --approach {approach.value}")
        if approach is ApproachChoice.TALKING_THERAPIES:
            _talking_therapies(data_file, id, time, phq9, gad7, pre, post, output, as_json)
        else:
            if outcome is None:
                raise fail("--approach immpact needs --outcome (the pain score column)")
            _immpact(
                data_file,
                id,
                time,
                outcome,
                immpact_domain,
                instrument,
                scale,
                pre,
                post,
                output,
                as_json,
            )
        return
    if outcome is None:
        raise fail("--outcome is needed (the score column)")
    for flag, column in (("--phq9", phq9), ("--gad7", gad7), ("--immpact-domain", immpact_domain)):
        if column is not None:
            raise fail(f"{flag} goes with --approach talking-therapies or immpact only")
    notes: list[str] = []
    if approach is None:
        notes.append("approach not given: using combined (Jacobson & Truax 1991)")
    if method is None and (approach is None or approach.value in ("distribution", "combined")):
        notes.append("method not given: using jt (Jacobson-Truax reliable change index)")
    for name, value in (("--reliability", reliability), ("--reliability-post", reliability_post)):
        if value is not None and not 0.0 < value < 1.0:
            raise fail(f"{name} must lie strictly between 0 and 1, got {value}")
    if percent is not None and not percent > 0:
        raise fail(f"--percent must be above 0, got {percent}")
    data = read_long_csv(data_file)
    options: dict[str, Any] = {
        "reliability": reliability,
        "reliability_post": reliability_post,
        "better": better.value if better else None,
        "instrument": instrument,
        "scale": scale,
        "m_functional": m_functional,
        "sd_functional": sd_functional,
        "m_clinical": m_clinical,
        "sd_clinical": sd_clinical,
        "cutoff": cutoff.value,
        "cutoff_value": cutoff_value,
        "mid": mid,
        "percentage": None if percent is None else percent / 100.0,
        "change_criterion": change_criterion.value,
        "hlm_test": hlm_test.value,
    }
    kind = approach.value if approach else "combined"
    try:
        result = analyse_change(
            data,
            id=id,
            time=time,
            outcome=outcome,
            pre=pre,
            post=post,
            group=group,
            approach=kind,
            method=method.value if method else "jt",
            **options,
        )
        table = None
        if sensitivity and kind in ("distribution", "combined"):
            table = method_sensitivity(
                data,
                id=id,
                time=time,
                outcome=outcome,
                pre=pre,
                post=post,
                approach=kind,
                **options,
            )
        svg = None
        if plot is not None:
            from balm.change.figures import jacobson_plot

            svg = jacobson_plot(result)
    except ChangeInputError as error:
        raise fail(_as_flags(str(error))) from error
    except ImportError as error:
        raise fail(f"the hlm method is not available in this installation ({error})") from error
    except ValueError as error:  # e.g. the mixed model cannot be fitted
        raise fail(str(error)) from error

    if output is not None:
        _per_participant(result, id).to_csv(output, index=False)
    if svg is not None and plot is not None:
        plot.write_text(svg, encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(result.summary_dict()))
        return
    _print_summary(result, outcome, notes, table, sensitivity and table is None)


def _talking_therapies(
    data_file: Path,
    id: str,
    time: str,
    phq9: str | None,
    gad7: str | None,
    pre: str | None,
    post: str | None,
    output: Path | None,
    as_json: bool,
) -> None:
    from balm.change import ChangeInputError, talking_therapies, talking_therapies_definitions

    if phq9 is None or gad7 is None:
        raise fail(
            "--approach talking-therapies needs both --phq9 and --gad7 (the columns holding "
            "each participant's PHQ-9 and GAD-7 totals): its definitions use the pair"
        )
    data = read_long_csv(data_file)
    try:
        result = talking_therapies(data, id=id, time=time, phq9=phq9, gad7=gad7, pre=pre, post=post)
    except ChangeInputError as error:
        raise fail(str(error)) from error
    if _saved_or_json(result, output, as_json):
        return
    console = Console(highlight=False)
    console.print(
        f"[bold]NHS Talking Therapies outcomes[/] (PHQ-9 {phq9!r}, GAD-7 {gad7!r}): "
        f"{result.pre_label} -> {result.post_label}"
    )
    for note in result.notes:
        console.print(f"  note: {note}")
    excluded = result.n_total - result.n_included
    console.print(
        f"  participants: {result.n_total} in the data, {result.n_included} analysed"
        + (f", {excluded} excluded (PHQ-9 or GAD-7 missing at pre or post)" if excluded else "")
        + f"; {result.n_cases_pre} case(s) at pre"
    )
    _count_table(console, result.counts(), result.n_included)
    rates = Table(title="Talking Therapies rates")
    rates.add_column("rate")
    rates.add_column("%", justify="right")
    rates.add_column("of")
    for name, value in result.rates().items():
        whole = "cases at pre" if "recovery" in name else "participants analysed"
        rates.add_row(name, "" if value is None else f"{100.0 * value:.1f}", whole)
    console.print(rates)
    definitions = talking_therapies_definitions().definitions
    for term, text in definitions.items():
        console.print(f"  {term}: {text}")
    _parameter_table(console, result.parameters)


def _saved_or_json(result: Any, output: Path | None, as_json: bool) -> bool:
    """Write each participant's category to ``output``; print the JSON summary if asked.

    True when the JSON was printed (nothing else is to be printed)."""
    if output is not None:
        table = result.participants.copy()
        table["category"] = table["category"].astype("string").fillna("excluded")
        table.reset_index().to_csv(output, index=False)
    if as_json:
        typer.echo(json.dumps(result.summary_dict()))
    return as_json


def _immpact(
    data_file: Path,
    id: str,
    time: str,
    outcome: str,
    domain: str | None,
    instrument: str | None,
    scale: str,
    pre: str | None,
    post: str | None,
    output: Path | None,
    as_json: bool,
) -> None:
    from balm.change import ChangeInputError, immpact_change

    data = read_long_csv(data_file)
    try:
        result = immpact_change(
            data,
            id=id,
            time=time,
            outcome=outcome,
            domain=domain,
            instrument=instrument,
            scale=scale,
            pre=pre,
            post=post,
        )
    except ChangeInputError as error:
        message = str(error).replace("give the IMMPACT domain", "give --immpact-domain")
        raise fail(message) from error
    if _saved_or_json(result, output, as_json):
        return
    console = Console(highlight=False)
    console.print(
        f"[bold]{outcome}[/]: {result.pre_label} -> {result.post_label}, IMMPACT thresholds "
        f"({result.domain})"
    )
    for note in result.notes:
        console.print(f"  note: {note}")
    console.print(f"  participants: {result.n_total} in the data, {result.n_included} analysed")
    _count_table(console, result.counts(), result.n_included)
    _parameter_table(console, result.parameters)


def _count_table(console: Console, counts: dict[str, int], n: int) -> None:
    table = Table(title="categories")
    table.add_column("category")
    table.add_column("n", justify="right")
    table.add_column("%", justify="right")
    for name, count in counts.items():
        table.add_row(name, str(count), f"{100.0 * count / n:.1f}" if n else "0.0")
    console.print(table)


def _parameter_table(console: Console, parameters: Any) -> None:
    params = Table(title="parameters used")
    params.add_column("name")
    params.add_column("value", justify="right")
    params.add_column("source")
    for p in parameters:
        params.add_row(p.name, _fmt(p.value), p.source)
    console.print(params)


def _per_participant(result: ChangeResult, id: str) -> pd.DataFrame:
    import pandas as pd

    table = result.participants.copy()
    category = table["category"].astype("string").fillna("excluded")
    out = pd.DataFrame(
        {
            id: table.index,
            "pre": table["pre"].to_numpy(),
            "post": table["post"].to_numpy(),
            "change": table["change"].to_numpy(),
            "index": table["index"].to_numpy(),
            "category": category.to_numpy(),
        }
    )
    if "group" in table.columns:
        out["group"] = table["group"].to_numpy()
    return out


def _why_excluded(result: ChangeResult) -> str:
    if result.method is not None and result.method.value == "hlm":
        least = result.parameter("hlm_min_observations")
        n = int(float(least.value)) if least is not None else 3
        return f"fewer than {n} observations"
    return "no pre or no post score"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def _print_summary(
    result: ChangeResult,
    outcome: str,
    notes: list[str],
    sensitivity: pd.DataFrame | None,
    sensitivity_skipped: bool,
) -> None:
    console = Console(highlight=False)
    method = f", method {result.method.value}" if result.method else ""
    console.print(
        f"[bold]{outcome}[/]: {result.pre_label} -> {result.post_label}, "
        f"{result.approach.value} approach{method}, {result.better.value} is better"
    )
    for note in [*notes, *result.notes]:
        console.print(f"  note: {_as_flags(note)}")
    excluded = result.n_total - result.n_included
    console.print(
        f"  participants: {result.n_total} in the data, {result.n_included} analysed"
        + (f", {excluded} excluded ({_why_excluded(result)})" if excluded else "")
    )
    if result.cutoff is not None:
        chosen = result.cutoff
        console.print(f"  cut-off {chosen.type.value} = {chosen.value:.2f} ({chosen.reason})")
    counts = result.counts()
    used = result.categories_used
    table = Table(title="categories")
    table.add_column("category")
    table.add_column("n", justify="right")
    table.add_column("%", justify="right")
    for c in used:
        n = counts[c.value]
        pct = 100.0 * n / result.n_included if result.n_included else 0.0
        table.add_row(c.value, str(n), f"{pct:.1f}")
    console.print(table)
    groups = result.group_counts()
    if groups:
        by_group = Table(title="by group")
        by_group.add_column("group")
        for c in used:
            by_group.add_column(c.value, justify="right")
        for name, tally in groups.items():
            total = sum(tally.values())
            cells = [
                f"{tally[c.value]} ({100.0 * tally[c.value] / total:.0f}%)" if total else "0"
                for c in used
            ]
            by_group.add_row(name, *cells)
        console.print(by_group)
    _parameter_table(console, result.parameters)
    if sensitivity is not None:
        sens = Table(title="method sensitivity (same data, every method)")
        sens.add_column("method")
        sens.add_column("n", justify="right")
        for c in used:
            sens.add_column(c.value, justify="right")
        for method_name, row in sensitivity.iterrows():
            sens.add_row(
                str(method_name), str(row["n_included"]), *(str(row[c.value]) for c in used)
            )
        console.print(sens)
    elif sensitivity_skipped:
        console.print(
            "  note: --sensitivity compares reliable change methods; it needs the "
            "distribution or combined approach"
        )


def register(app: typer.Typer) -> None:
    """Add ``balm change`` to ``app``."""
    app.command("change", help="Reliable and clinically significant change from a long CSV.")(
        change
    )
