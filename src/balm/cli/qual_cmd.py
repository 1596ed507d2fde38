"""``balm qual``: a qualitative project in a REFI-QDA ``.qdpx`` file.

``new`` makes an empty project; ``add`` imports transcripts and written feedback,
pseudonymised, and prints every replacement for review; ``codes`` shows the codebook with
counts; ``quotes`` lists the passages coded with a code; ``load`` brings a ``.qdpx`` into a
site of the web app's database and ``dump`` takes a site's project out. Bad input ends with
exit code 2, every problem listed, and nothing written (files are written whole, through a
rename; a load is one transaction).

The pseudonym map (original name -> pseudonym) is kept beside the project in
``PROJECT.pseudonyms.json``, never inside the ``.qdpx``; keep it where only the people
allowed to re-identify participants can read it.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from balm.cli.common import fail

if TYPE_CHECKING:
    from balm.qual import Project, PseudonymMap
    from balm.qual.errors import QualInputError

qual_app = typer.Typer(
    name="qual",
    help="Interviews and written feedback: import (pseudonymised), codebook, quotes (.qdpx).",
    no_args_is_help=True,
)


def _problems(error: QualInputError) -> typer.Exit:
    for problem in error.problems[:-1]:
        typer.echo(f"error: {problem}", err=True)
    return fail(error.problems[-1])


def _mapping_path(project_path: Path) -> Path:
    return project_path.with_name(project_path.stem + ".pseudonyms.json")


def _load(project_path: Path) -> Project:
    from balm.qual import QualInputError, read_qdpx

    try:
        return read_qdpx(project_path)
    except QualInputError as error:
        raise _problems(error) from error


@qual_app.command("new")
def new(
    project_path: Annotated[Path, typer.Argument(metavar="PROJECT.qdpx")],
    name: Annotated[str | None, typer.Option(help="Project name (default: the file name).")] = None,
) -> None:
    """Make an empty project file."""
    from balm.qual import Project
    from balm.qual.project import now
    from balm.qual.refi import write_qdpx

    if project_path.exists():
        raise fail(f"{project_path}: already exists; choose another name")
    if project_path.suffix.lower() != ".qdpx":
        raise fail(f"{project_path}: a project file ends in .qdpx")
    if not project_path.parent.is_dir():
        raise fail(f"{project_path.parent}: no such folder")
    write_qdpx(Project(name or project_path.stem, created=now()), project_path)
    typer.echo(f"made {project_path}")


@qual_app.command("add")
def add(
    project_path: Annotated[Path, typer.Argument(metavar="PROJECT.qdpx")],
    files: Annotated[list[Path], typer.Argument(metavar="FILE...")],
    case: Annotated[str, typer.Option(help="Case (participant pseudonym), e.g. P03.")],
    names: Annotated[
        Path | None,
        typer.Option(
            help="Names and terms to replace, one a line: 'participant: Name', "
            "'other: Tom Baker | Tom' (forms of one name), 'staff: Name', 'place: Leeds' "
            "(any tag), or a bare term."
        ),
    ] = None,
    kind: Annotated[str, typer.Option(help="interview, focus_group, feedback, ...")] = "interview",
    by: Annotated[str | None, typer.Option(help="Your name as a user of the project.")] = None,
) -> None:
    """Import files into the project, pseudonymised; print every replacement for review."""
    from balm.qual import NameLists, QualInputError, add_source_file, parse_name_list
    from balm.qual.refi import write_qdpx

    project = _load(project_path)
    mapping = _read_mapping(_mapping_path(project_path))
    problems: list[str] = []
    name_lists = NameLists()
    if names is not None:
        try:
            name_lists = parse_name_list(names.read_text(encoding="utf-8"), where=str(names))
        except (OSError, UnicodeDecodeError) as error:
            problems.append(f"{names}: cannot read the name list ({error})")
        except QualInputError as error:
            problems.extend(error.problems)
    reports = []
    for path in files:
        try:
            reports.append(
                add_source_file(
                    project,
                    path,
                    case=case,
                    kind=kind,
                    names=name_lists,
                    mapping=mapping,
                    by=by or getpass.getuser(),
                )
            )
        except QualInputError as error:
            problems.extend(error.problems)
    if problems:
        raise _problems(QualInputError(problems))
    try:
        _write_mapping(_mapping_path(project_path), mapping)
        write_qdpx(project, project_path)
    except QualInputError as error:
        raise _problems(error) from error
    console = Console()
    for path, report in zip(files, reports, strict=True):
        table = Table(title=Text(f"{path.name} -> {report.source.name!r}: replacements to review"))
        for column in ("kind", "original", "became", "at (original)", "at (stored)"):
            table.add_column(column)
        for r in report.replacements:
            cells = (r.kind, r.original, r.replacement, f"{r.start}-{r.end}")
            table.add_row(*(Text(c) for c in (*cells, f"{r.new_start}-{r.new_end}")))
        console.print(table)
        speakers = sorted({t.speaker for t in report.source.turns if t.speaker})
        console.print(
            Text(
                f"{len(report.source.text)} characters, {len(report.source.turns)} speaker turns"
                + (f" ({', '.join(speakers)})" if speakers else "")
            )
        )
    console.print(Text(f"saved {project_path} and {_mapping_path(project_path).name}"))


def _read_mapping(path: Path) -> PseudonymMap:
    from balm.qual import PseudonymMap, QualInputError

    if not path.exists():
        return PseudonymMap()
    try:
        return PseudonymMap.from_json(path.read_text(encoding="utf-8"))
    except QualInputError as error:
        raise _problems(QualInputError(f"{path}: {p}" for p in error.problems)) from error


def _write_mapping(path: Path, mapping: PseudonymMap) -> None:
    from balm.qual.files import atomic_write

    def write(target: Path) -> None:
        target.write_text(mapping.to_json(), encoding="utf-8")

    atomic_write(path, write)


@qual_app.command("codes")
def codes(project_path: Annotated[Path, typer.Argument(metavar="PROJECT.qdpx")]) -> None:
    """The codebook as a tree, with how many passages each code (and its branch) holds."""
    from rich.tree import Tree

    project = _load(project_path)
    own: dict[str, int] = {}
    for coding in project.codings:
        own[coding.code] = own.get(coding.code, 0) + 1
    children: dict[str | None, list[str]] = {}
    for code in project.codes:
        children.setdefault(code.parent, []).append(code.id)
    names = {c.id: c.name for c in project.codes}

    def total(code_id: str) -> int:
        return own.get(code_id, 0) + sum(total(c) for c in children.get(code_id, []))

    tree = Tree(Text(f"{project.name}: {len(project.codes)} codes, {len(project.codings)} codings"))

    def grow(branch: Tree, parent: str | None) -> None:
        for code_id in children.get(parent, []):
            label = f"{names[code_id]}  {own.get(code_id, 0)}"
            if children.get(code_id):
                label += f" (branch {total(code_id)})"
            grow(branch.add(Text(label)), code_id)

    grow(tree, None)
    Console().print(tree)


@qual_app.command("quotes")
def quotes(
    project_path: Annotated[Path, typer.Argument(metavar="PROJECT.qdpx")],
    code: Annotated[str, typer.Option(help="The code's name.")],
) -> None:
    """Every passage coded with CODE, with its source, case and coder."""
    from balm.qual.export import coded_segments

    project = _load(project_path)
    if not project.codes_named(code):
        known = ", ".join(sorted({c.name for c in project.codes})) or "none"
        raise fail(f"no code named {code!r}; the codes are: {known}")
    frame = coded_segments(project)
    chosen = frame[frame["code"] == code]
    console = Console()
    console.print(Text(f"{code}: {len(chosen)} passages"))
    for row in chosen.itertuples(index=False):
        case = row.case if isinstance(row.case, str) else "no case"
        heading = Text("\n")
        heading.append(str(row.source), style="bold")
        heading.append(f" ({case}), {row.start}-{row.end}, coded by {row.coder} [{row.code_path}]")
        console.print(heading, highlight=False)
        console.print(f"  {row.quote}", markup=False, highlight=False)


def _start_django() -> None:
    """Start Django for ``load`` and ``dump`` (already started under the tests)."""
    from django.apps import apps

    if apps.ready:
        return
    import os

    import django

    from balm.cli.web_cmd import _use_data_dir

    _use_data_dir()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balm.web.settings")
    django.setup()


def _site_and_user(site: str, username: str | None) -> tuple[object, object]:
    from balm.accounts.models import Site, User

    problems = []
    found_site = Site.objects.filter(slug=site).first()
    if found_site is None:
        known = ", ".join(Site.objects.values_list("slug", flat=True)) or "none"
        problems.append(f"no site {site!r}; the sites are: {known}")
    user = None
    if username is not None:
        user = User.objects.filter(username=username).first()
        if user is None:
            problems.append(f"no user {username!r}")
    if problems:
        for problem in problems[:-1]:
            typer.echo(f"error: {problem}", err=True)
        raise fail(problems[-1])
    return found_site, user


def _refused(messages: list[str]) -> typer.Exit:
    for message in messages[:-1]:
        typer.echo(f"error: {message}", err=True)
    return fail(messages[-1])


@qual_app.command("load")
def load(
    project_path: Annotated[Path, typer.Argument(metavar="PROJECT.qdpx")],
    site: Annotated[str, typer.Option(help="The site's short name (slug).")],
    as_user: Annotated[
        str | None, typer.Option("--as", help="Your user name (a researcher or administrator).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Project name (default: the file's).")] = None,
    names: Annotated[
        Path | None,
        typer.Option(
            help="More names and terms to replace (as for 'add'; no participant: lines): "
            "given names, family, places."
        ),
    ] = None,
) -> None:
    """Bring a REFI-QDA project into a site: pseudonymised on the way in (the names balm
    knows, and --names), cases matched to participants by pseudonym; all or nothing."""
    from balm.accounts.errors import InvalidInput, NotAllowed
    from balm.qual import QualInputError, parse_name_list

    project = _load(project_path)
    extra = None
    if names is not None:
        try:
            extra = parse_name_list(names.read_text(encoding="utf-8"), where=str(names))
        except (OSError, UnicodeDecodeError) as error:
            raise fail(f"{names}: cannot read the name list ({error})") from error
        except QualInputError as error:
            raise _problems(error) from error
    _start_django()
    from balm.qualitative.actions import import_project

    found_site, user = _site_and_user(site, as_user)
    try:
        result = import_project(
            site=found_site,  # type: ignore[arg-type]
            project=project,
            name=name,
            extra_names=extra,
            by=user,  # type: ignore[arg-type]
        )
    except InvalidInput as error:
        raise _refused([p.message for p in error.problems]) from error
    except NotAllowed as error:
        raise _refused([f"{as_user} may not load projects into {site}"]) from error
    console = Console()
    console.print(
        Text(
            f"loaded {result.project.name!r} into {site}: {len(project.sources)} sources, "
            f"{len(project.codes)} codes, {len(project.codings)} codings, "
            f"{len(project.notes)} notes, {len(project.themes)} themes"
        )
    )
    matched = ", ".join(sorted(result.matched_cases)) or "none"
    console.print(Text(f"cases matched to participants: {matched}"))
    if result.unmatched_cases:
        console.print(
            Text(
                "cases no participant of the site has as pseudonym (kept, linked to no one): "
                + ", ".join(sorted(result.unmatched_cases))
            )
        )
    for source_name, replacements in result.replacements.items():
        if replacements:
            console.print(Text(f"{source_name}: {len(replacements)} replacements"))


@qual_app.command("dump")
def dump(
    site: Annotated[str, typer.Option(help="The site's short name (slug).")],
    output: Annotated[Path, typer.Option("-o", "--output", metavar="PROJECT.qdpx")],
    project_name: Annotated[
        str | None, typer.Option("--project", help="Which project (if the site has several).")
    ] = None,
    as_user: Annotated[str | None, typer.Option("--as", help="Your user name.")] = None,
) -> None:
    """Write a site's qualitative project as a REFI-QDA .qdpx (no pseudonym map in it)."""
    from balm.accounts.errors import NotAllowed
    from balm.qual.refi import write_qdpx

    problems = []
    if output.suffix.lower() != ".qdpx":
        problems.append(f"{output}: a project file ends in .qdpx")
    if not output.parent.is_dir():
        problems.append(f"{output.parent}: no such folder")
    if problems:
        raise _refused(problems)
    _start_django()
    from balm.qualitative.actions import export_project
    from balm.qualitative.models import QualProject

    found_site, user = _site_and_user(site, as_user)
    projects = QualProject.objects.filter(site=found_site)
    if project_name is not None:
        projects = projects.filter(name=project_name)
    chosen = list(projects[:2])
    if len(chosen) != 1:
        names = ", ".join(
            QualProject.objects.filter(site=found_site).values_list("name", flat=True)
        )
        if not chosen:
            raise fail(f"no such project at {site}; the projects are: {names or 'none'}")
        raise fail(f"{site} has several projects; choose one with --project: {names}")
    try:
        project = export_project(project=chosen[0], by=user)  # type: ignore[arg-type]
    except NotAllowed as error:
        raise _refused([f"{as_user} may not take projects out of {site}"]) from error
    write_qdpx(project, output)
    typer.echo(f"wrote {output}: {len(project.sources)} sources, {len(project.codings)} codings")


def register(app: typer.Typer) -> None:
    """Add ``balm qual`` to ``app``."""
    app.add_typer(qual_app)
