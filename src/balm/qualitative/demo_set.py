"""The synthetic qualitative demo set (``src/balm/qual/demo/``) as a :class:`balm.qual.Project`.

The project holds the transcripts as written (not yet pseudonymised: that happens on the way
into the database, through :func:`balm.qualitative.actions.import_project`, with the planted
identifiers as extra terms), the codebook (groups as parent codes), both demo coders' codings
and coder A's IPA themes (personal experiential themes per interviewee under group
experiential themes).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from balm import yaml_loader
from balm.qual import project as q
from balm.qual.integration import SPEAKS_TO
from balm.qual.readers import read_source_file

INTERVIEWEES = {
    "interview_aspen.txt": "Aspen",
    "interview_birch.txt": "Birch",
    "interview_cedar.txt": "Cedar",
    "interview_elm.txt": "Elm",
    "interview_larch.txt": "Larch",
    "interview_maple.txt": "Maple",
}
FOCUS_GROUP = "focus_group_facilitators.txt"
PROJECT_NAME = "Demo CFT interviews"


def demo_folder() -> Path:
    return Path(str(resources.files("balm.qual").joinpath("demo")))


def _yaml(name: str) -> Any:
    return yaml_loader.load((demo_folder() / name).read_text(encoding="utf-8"))


def planted_terms() -> list[tuple[str, str]]:
    """Every planted identifier of every file as a ``(term, tag)`` pair (tag = its kind)."""
    terms: dict[str, str] = {}
    for entries in _yaml("planted_identifiers.yaml").values():
        for entry in entries:
            terms.setdefault(entry["text"], entry["kind"])
    return sorted(terms.items())


def demo_project() -> q.Project:
    """The demo set as one project; ids are stable names (``code:loss``, ``theme:impact``)."""
    project = q.Project(PROJECT_NAME, description="Synthetic demo set written for balm.")
    codings_file = _yaml("codings.yaml")
    coders = {"a": codings_file["coder_a"], "b": codings_file["coder_b"]}
    project.users = [q.User(f"coder:{key}", name) for key, name in coders.items()]

    for group in _yaml("codebook.yaml")["groups"]:
        group_id = f"code:{group['name']}"
        project.codes.append(
            q.Code(group_id, group["label"], None, group["description"], group["colour"])
        )
        for code in group["codes"]:
            project.codes.append(
                q.Code(
                    f"code:{code['name']}",
                    code["label"],
                    group_id,
                    code["description"],
                    code["colour"],
                )
            )

    texts: dict[str, str] = {}
    for file_name in [*INTERVIEWEES, FOCUS_GROUP]:
        raw = read_source_file(demo_folder() / file_name)
        texts[file_name] = raw.text
        case = None
        if file_name in INTERVIEWEES:
            case = f"case:{INTERVIEWEES[file_name]}"
            project.cases.append(q.Case(case, INTERVIEWEES[file_name]))
        project.sources.append(
            q.Source(
                f"source:{file_name}",
                Path(file_name).stem,
                raw.text,
                "interview" if file_name in INTERVIEWEES else "focus_group",
                case,
                raw.turns,
                # held a few weeks after the group ended (demo/README.md): the end timepoint
                timepoint="end" if file_name in INTERVIEWEES else None,
            )
        )

    by_quote: dict[tuple[str, str, str, str], str] = {}
    for number, item in enumerate(codings_file["codings"], start=1):
        text = texts[item["source"]]
        start = text.index(item["quote"])
        coding_id = f"coding:{number}"
        project.codings.append(
            q.Coding(
                coding_id,
                f"source:{item['source']}",
                start,
                start + len(item["quote"]),
                f"code:{item['code']}",
                f"coder:{item['coder']}",
            )
        )
        key = (item["source"], item["coder"], item["code"], item["quote"])
        by_quote[key] = coding_id

    themes = _yaml("themes.yaml")
    coder = themes["coder"]
    parents: dict[str, str] = {}
    for group in themes["group_themes"]:
        outcomes = ", ".join(group.get("speaks_to", ()))
        description = f"{SPEAKS_TO} {outcomes}" if outcomes else ""
        project.themes.append(
            q.Theme(f"theme:{group['id']}", group["title"], "group", description=description)
        )
        for pet in group["personal_themes"]:
            parents[pet] = f"theme:{group['id']}"
    for pet in themes["personal_themes"]:
        members = tuple(
            q.ThemeMember(
                "coding", by_quote[(pet["source"], coder, coding["code"], coding["quote"])]
            )
            for coding in pet["codings"]
        )
        project.themes.append(
            q.Theme(
                f"theme:{pet['id']}",
                pet["title"],
                "personal",
                parents.get(pet["id"]),
                f"case:{pet['participant']}",
                members=members,
            )
        )
    q.validate_project(project)
    return project
