"""``balm qual agreement | recurrence | suggest``: analyses of a ``.qdpx`` project.

Thin wrappers over :mod:`balm.qual.agreement`, :mod:`balm.qual.recurrence` and
:mod:`balm.qual.suggest`: the project file is read once, turned into the analysis frames
(:func:`balm.qual.frames.project_frames`), and the result is printed as a table or as JSON.
Bad input ends with exit code 2 and every problem listed; nothing is ever written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from balm.cli.common import fail
from balm.cli.qual_cmd import _load, _problems, qual_app

if TYPE_CHECKING:
    from balm.qual import ProjectFrames
    from balm.qual.analysis_errors import QualAnalysisError

ProjectArg = Annotated[Path, typer.Argument(metavar="PROJECT.qdpx")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _frames(project_path: Path) -> ProjectFrames:
    from balm.qual import QualInputError, project_frames

    project = _load(project_path)
    try:
        return project_frames(project)
    except QualInputError as error:
        raise _problems(error) from error


def _analysis_failed(error: QualAnalysisError) -> typer.Exit:
    for problem in error.problems[:-1]:
        typer.echo(f"error: {problem}", err=True)
    return fail(error.problems[-1])


def _names(option: str | None) -> list[str] | None:
    if option is None:
        return None
    return [part.strip() for part in option.split(",") if part.strip()]


def _source_ids(frames: ProjectFrames, chosen: list[str] | None) -> list[str] | None:
    """Sources named by name or id; an unknown one is a listed problem."""
    if chosen is None:
        return None
    by_name = dict(zip(frames.sources["name"].astype(str), frames.sources["source"], strict=True))
    ids = set(frames.sources["source"].astype(str))
    unknown = [name for name in chosen if name not in by_name and name not in ids]
    if unknown:
        known = ", ".join(sorted(by_name)) or "none"
        raise fail(f"no source named {', '.join(map(repr, unknown))}; the sources are: {known}")
    return [str(by_name.get(name, name)) for name in chosen]


def _fmt(value: float | None, digits: int = 3) -> str:
    return "undefined" if value is None else f"{value:.{digits}f}"


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@qual_app.command("agreement")
def agreement_command(
    project_path: ProjectArg,
    unit: Annotated[
        str,
        typer.Option(
            help="character (every character a unit, coded or not, as NVivo counts), "
            "segment (speaker turns) or sentence."
        ),
    ] = "character",
    coders: Annotated[
        str | None, typer.Option(help="Coders to compare, by name as in the project, e.g. A,B.")
    ] = None,
    sources: Annotated[
        str | None,
        typer.Option(
            help="Sources to compare, by name, comma-separated (default: every source "
            "each coder coded)."
        ),
    ] = None,
    uncoded: Annotated[
        str,
        typer.Option(help="agree (text nobody coded counts as agreement) or exclude."),
    ] = "agree",
    resample: Annotated[
        str,
        typer.Option(
            help="What the bootstrap for alpha's interval resamples: source (whole texts; "
            "neighbouring characters are not independent) or unit."
        ),
    ] = "source",
    resamples: Annotated[int, typer.Option(min=0, help="Bootstrap resamples (0 for none).")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 20240601,
    as_json: JsonOpt = False,
) -> None:
    """Agreement between coders: percentage, Cohen's kappa and Krippendorff's alpha."""
    from balm.qual.agreement import agreement
    from balm.qual.analysis_errors import QualAnalysisError

    frames = _frames(project_path)
    try:
        result = agreement(
            frames.sources,
            frames.codes,
            frames.codings,
            frames.segments,
            unit=unit,  # type: ignore[arg-type]  # checked by agreement(), listed if wrong
            uncoded=uncoded,  # type: ignore[arg-type]
            source_ids=_source_ids(frames, _names(sources)),
            coders=_names(coders),
            n_resamples=resamples,
            seed=seed,
            resample=resample,  # type: ignore[arg-type]
        )
    except QualAnalysisError as error:
        raise _analysis_failed(error) from error
    data = result.to_json()
    if as_json:
        _echo_json(data)
        return
    console = Console()
    details = data["details"]
    console.print(
        Text(
            f"Coders {', '.join(result.coders)}; unit: {result.unit} ({details['unit_rule']}); "
            f"uncoded text: {details['uncoded_rule']}; {result.n_units:,} units in "
            f"{len(result.sources)} sources."
        )
    )
    table = Table(title=Text("Agreement per code and overall"))
    for column in ("code", "agreement %", "Cohen's kappa", "Krippendorff's alpha"):
        table.add_column(column, justify="left" if column == "code" else "right")
    for name, stats in result.codes.items():
        table.add_row(
            Text(name),
            _fmt(stats.percent_agreement, 1),
            _fmt(stats.cohen_kappa),
            _fmt(stats.krippendorff_alpha),
        )
    overall = result.overall
    table.add_row(
        Text("overall (codes pooled)", style="bold"),
        _fmt(overall.percent_agreement, 1),
        _fmt(overall.cohen_kappa),
        _fmt(overall.krippendorff_alpha),
    )
    console.print(table)
    if result.alpha_ci is not None:
        low, high = result.alpha_ci
        console.print(
            Text(
                f"alpha 95% interval {low:.3f} to {high:.3f}: "
                f"{details['alpha_ci_method']}; {details['alpha_ci_note']}"
            )
        )
    else:
        console.print(Text(f"no interval for alpha: {details['alpha_ci_note']}"))
    for name, reasons in details["undefined"].items():
        console.print(Text(f"{name}: {'; '.join(reasons)}"))
    for note in details["notes"]:
        console.print(Text(note))


@qual_app.command("recurrence")
def recurrence_command(project_path: ProjectArg, as_json: JsonOpt = False) -> None:
    """Group themes x participants: passages, presence, an exemplar quote per cell."""
    from balm.qual.analysis_errors import QualAnalysisError
    from balm.qual.recurrence import recurrence

    frames = _frames(project_path)
    try:
        result = recurrence(
            frames.sources,
            frames.codes,
            frames.codings,
            frames.themes,
            frames.theme_members,
            frames.notes,
        )
    except QualAnalysisError as error:
        raise _analysis_failed(error) from error
    if as_json:
        _echo_json(result.to_json())
        return
    console = Console()
    if result.table.empty:
        console.print(Text("No group themes yet: nothing to tabulate."))
        return
    table = Table(title=Text("Recurrence: coded passages per group theme and participant"))
    table.add_column("theme")
    for case in result.cases:
        table.add_column(case, justify="right")
    table.add_column("participants", justify="right")
    n_cases = len(result.cases)
    for _, row in result.table.iterrows():
        counts = [str(int(row[case])) if int(row[case]) else "-" for case in result.cases]
        present = f"{int(row['cases_present'])} of {n_cases}"
        table.add_row(Text(str(row["theme_name"])), *counts, present)
    console.print(table)
    console.print(Text(f"Exemplar quotes ({result.exemplar_rule}):"))
    cells = result.long[result.long["present"]]
    for row in cells.itertuples(index=False):
        console.print(Text(f"\n{row.theme_name} / {row.case}:", style="bold"))
        console.print(Text(f"  {row.exemplar}"))


@qual_app.command("suggest")
def suggest_command(
    project_path: ProjectArg,
    passages: Annotated[
        str, typer.Option(help="What to group: turns (speaker turns) or codings.")
    ] = "turns",
    groups: Annotated[int, typer.Option(min=2, help="How many candidate groups.")] = 8,
    method: Annotated[str, typer.Option(help="nmf or kmeans.")] = "nmf",
    like: Annotated[
        str | None, typer.Option(help="A passage id: list the passages most like it instead.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed, so the same project gives the same groups.")] = 0,
    skip_speakers: Annotated[
        str,
        typer.Option(help="Speakers whose turns are left out, comma-separated ('' for none)."),
    ] = "Interviewer",
    as_json: JsonOpt = False,
) -> None:
    """Offline suggestions for a person to review: key phrases, groupings, similar passages.

    Nothing is applied: every result is labelled as a suggestion.
    """
    from balm.qual import suggest
    from balm.qual.analysis_errors import QualAnalysisError

    if passages not in ("turns", "codings"):
        raise fail(f"passages {passages!r} is not one of turns, codings")
    frames = _frames(project_path)
    try:
        skip = _names(skip_speakers) or []
        if passages == "turns":
            frame = suggest.passages(frames.sources, segments=frames.segments, skip_speakers=skip)
        else:
            frame = suggest.passages(frames.sources, codings=frames.codings)
        if like is not None:
            found = {"similar": suggest.similar_passages(frame, like)}
        else:
            found = {
                "key_phrases": suggest.key_phrases(
                    frames.sources, segments=frames.segments, skip_speakers=skip
                ),
                "groupings": suggest.group_passages(
                    frame,
                    n_groups=groups,
                    method=method,  # type: ignore[arg-type]  # checked, listed if wrong
                    seed=seed,
                ),
            }
    except QualAnalysisError as error:
        raise _analysis_failed(error) from error
    if as_json:
        _echo_json({kind: [s.to_json() for s in items] for kind, items in found.items()})
        return
    console = Console()
    console.print(Text("Suggestions only: nothing is applied until a person accepts it."))
    names = dict(zip(frames.sources["source"], frames.sources["name"], strict=True))
    texts = dict(zip(frame["passage"], frame["text"], strict=True))
    for kind, items in found.items():
        console.print(Text(f"\n{kind.replace('_', ' ')}", style="bold"))
        for item in items:
            if kind == "key_phrases":
                label = names.get(item.members[0], item.members[0])
                console.print(Text(f"{label}: {', '.join(item.label_terms)}"))
            elif kind == "groupings":
                console.print(
                    Text(
                        f"{', '.join(item.label_terms)}: {len(item.members)} passages "
                        f"(tightness {item.score:.2f})"
                    )
                )
            else:
                quote = " ".join(texts[item.members[0]].split())[:120]
                console.print(Text(f"{item.score:.2f} {item.members[0]}: {quote}"))


def register(app: typer.Typer) -> None:
    """Nothing to add to ``app``: these commands sit on ``balm qual``, which qual_cmd adds."""
