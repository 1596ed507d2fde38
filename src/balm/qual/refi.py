"""REFI-QDA exchange: read and write ``.qdpx`` projects and ``.qdc`` codebooks (QDA-XML 1.0).

A ``.qdpx`` is a zip holding ``project.qde`` (XML in ``urn:QDA-XML:project:1.0``, valid
against the vendored ``schema/Project.xsd``) and ``sources/<guid>.txt`` (UTF-8 plain text,
referred to as ``plainTextPath="internal://<guid>.txt"``). ``startPosition``/``endPosition``
count Unicode code points of that text (NFC, ``\\n`` line endings).

How balm maps onto the schema:

- users -> ``Users/User``; codes -> ``CodeBook/Codes/Code`` (nested, ``isCodable="true"``,
  colour, ``Description``);
- sources -> ``Sources/TextSource``; each coding -> one ``PlainTextSelection`` holding one
  ``Coding`` (``guid`` = the coding id, ``creatingUser``, ``creationDateTime``, ``CodeRef``);
- notes -> ``Notes/Note`` (text in ``PlainTextContent``) and a ``NoteRef`` where the
  schema allows one: on the ``Project`` (project notes), the ``TextSource``, the ``Coding``,
  the ``Code``, or a ``PlainTextSelection`` without a coding (notes anchored to a span);
- cases -> ``Cases/Case`` with ``SourceRef`` to their sources and ``VariableValue``; the
  variables -> ``Variables/Variable`` (type from the values: Text, Boolean, Integer, Float,
  Date, DateTime);
- themes -> ``Sets/Set`` (``MemberCode``, ``MemberNote``);
- a source's programme timepoint -> the source ``VariableValue`` of a Text variable
  ``Timepoint`` (baseline, mid, end, follow_up), which other programs show as a document
  variable.

What the schema has no place for (a source's kind and speaker turns, a coding's origin, a
note's kind and target, a theme's level, parent, case and coded passages) travels as one
last line ``balm: {json}`` of the element's ``Description``; other programs show it as text
and balm reads it back. Sets without that line (made by other programs) are not read as
themes. Ids that are not GUIDs are written as stable name-based GUIDs (UUID 5).
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

from lxml import etree

from balm.qual.errors import QualInputError
from balm.qual.files import atomic_write
from balm.qual.project import (
    TIMEPOINTS,
    Case,
    Code,
    Coding,
    Note,
    Project,
    Source,
    Theme,
    ThemeMember,
    Turn,
    User,
    VariableValue,
    project_problems,
)

NS: Final = "urn:QDA-XML:project:1.0"
CODEBOOK_NS: Final = "urn:QDA-XML:codebook:1.0"
ORIGIN: Final = "balm"
_META: Final = "balm: "
_GUID = re.compile(
    r"\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?"
)
_BALM_NAMESPACE = uuid.UUID("6d3c1f0e-8a4b-5c6d-9e7f-0a1b2c3d4e5f")
TIMEPOINT_VARIABLE: Final = "Timepoint"
"""The source (document) variable a source's programme timepoint travels as."""
_TIMEPOINT_GUID: Final = str(uuid.uuid5(_BALM_NAMESPACE, "source-variable:Timepoint"))
_TIMEPOINT_SPELLINGS: Final = {"midpoint": "mid", "mid_point": "mid", "followup": "follow_up"}


@cache
def _schema(name: str) -> etree.XMLSchema:
    text = resources.files("balm.qual").joinpath(f"schema/{name}").read_bytes()
    return etree.XMLSchema(etree.fromstring(text))


def schema_problems(xml: bytes, *, codebook: bool = False) -> list[str]:
    """Every way ``xml`` breaks the REFI-QDA Project (or Codebook) schema, with line numbers."""
    try:
        document = etree.fromstring(xml)
    except etree.XMLSyntaxError as error:
        return [f"not well-formed XML ({error})"]
    schema = _schema("Codebook.xsd" if codebook else "Project.xsd")
    if schema.validate(document):
        return []
    errors: Iterable[Any] = schema.error_log  # type: ignore[assignment]
    return [f"line {e.line}: {e.message}" for e in errors]


def _guid(value: str) -> str:
    if _GUID.fullmatch(value):
        return value
    return str(uuid.uuid5(_BALM_NAMESPACE, value))


def _derived(value: str, role: str) -> str:
    return str(uuid.uuid5(_BALM_NAMESPACE, f"{role}:{value}"))


def _when(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.strftime("%Y-%m-%dT%H:%M:%S")


def _parse_when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise QualInputError([f"date-time {value!r} cannot be read ({error})"]) from error


def _description(parent: etree._Element, text: str, meta: dict[str, Any] | None) -> None:
    lines = [text] if text else []
    if meta:
        lines.append(_META + json.dumps(meta, ensure_ascii=False, separators=(",", ":")))
    if lines:
        _sub(parent, "Description").text = "\n".join(lines)


def _split_description(element: etree._Element) -> tuple[str, dict[str, Any] | None]:
    node = element.find(f"{{{NS}}}Description")
    if node is None or not node.text:
        return "", None
    lines = node.text.split("\n")
    if lines[-1].startswith(_META):
        try:
            meta = json.loads(lines[-1][len(_META) :])
        except ValueError:
            return node.text, None
        if isinstance(meta, dict):
            return "\n".join(lines[:-1]), meta
    return node.text, None


def _sub(parent: etree._Element, tag: str, ns: str = NS, **attributes: str | None) -> Any:
    element = etree.SubElement(parent, f"{{{ns}}}{tag}")
    for key, value in attributes.items():
        if value is not None:
            element.set(key, value)
    return element


# ---------------------------------------------------------------------------------- writing


def _variable_type(values: list[VariableValue]) -> str:
    kinds = set()
    for v in values:
        if isinstance(v, bool):
            kinds.add("Boolean")
        elif isinstance(v, int):
            kinds.add("Integer")
        elif isinstance(v, float):
            kinds.add("Float")
        elif isinstance(v, datetime):
            kinds.add("DateTime")
        elif isinstance(v, date):
            kinds.add("Date")
        else:
            kinds.add("Text")
    return kinds.pop() if len(kinds) == 1 else "Text"


def _value_element(parent: etree._Element, kind: str, value: VariableValue) -> None:
    if kind == "Boolean":
        _sub(parent, "BooleanValue").text = "true" if value else "false"
    elif kind == "Integer":
        _sub(parent, "IntegerValue").text = str(value)
    elif kind == "Float":
        _sub(parent, "FloatValue").text = repr(float(value))  # type: ignore[arg-type]
    elif kind == "DateTime":
        _sub(parent, "DateTimeValue").text = _when(value)  # type: ignore[arg-type]
    elif kind == "Date":
        _sub(parent, "DateValue").text = value.isoformat()  # type: ignore[union-attr]
    else:
        _sub(parent, "TextValue").text = str(value)


def project_to_qde(project: Project) -> bytes:
    """The ``project.qde`` XML of ``project`` (the project must be valid)."""
    problems = project_problems(project)
    if problems:
        raise QualInputError(problems)
    root = etree.Element(f"{{{NS}}}Project", nsmap={None: NS})  # type: ignore[dict-item]
    root.set("name", project.name)
    root.set("origin", ORIGIN)
    if project.created is not None:
        root.set("creationDateTime", _when(project.created) or "")
    gid = _guid

    if project.users:
        users = _sub(root, "Users")
        for user in project.users:
            _sub(users, "User", guid=gid(user.id), name=user.name)

    notes_on: dict[tuple[str, str | None], list[Note]] = {}
    for note in project.notes:
        anchored = note.source is not None
        if note.target_kind == "source" and anchored and note.target == note.source:
            continue  # its NoteRef goes on the anchoring selection
        notes_on.setdefault((note.target_kind, note.target), []).append(note)

    def note_refs(element: etree._Element, kind: str, target: str | None) -> None:
        for note in notes_on.get((kind, target), []):
            _sub(element, "NoteRef", targetGUID=gid(note.id))

    if project.codes:
        children: dict[str | None, list[Code]] = {}
        for code in project.codes:
            children.setdefault(code.parent, []).append(code)

        def add_codes(parent: etree._Element, parent_id: str | None) -> None:
            for code in children.get(parent_id, []):
                element = _sub(
                    parent, "Code", guid=gid(code.id), name=code.name, isCodable="true",
                    color=code.color,
                )  # fmt: skip
                _description(element, code.description, None)
                note_refs(element, "code", code.id)
                add_codes(element, code.id)

        add_codes(_sub(_sub(root, "CodeBook"), "Codes"), None)

    variable_values: dict[str, list[VariableValue]] = {}
    for case in project.cases:
        for name, value in case.variables.items():
            variable_values.setdefault(name, []).append(value)
    kinds = {name: _variable_type(values) for name, values in variable_values.items()}
    timed = any(source.timepoint is not None for source in project.sources)
    if kinds or timed:
        variables = _sub(root, "Variables")
        for name, kind in kinds.items():
            _sub(variables, "Variable", guid=_derived(name, "variable"), name=name,
                 typeOfVariable=kind)  # fmt: skip
        if timed:
            _sub(variables, "Variable", guid=_TIMEPOINT_GUID, name=TIMEPOINT_VARIABLE,
                 typeOfVariable="Text")  # fmt: skip
    if project.cases:
        cases = _sub(root, "Cases")
        for case in project.cases:
            element = _sub(cases, "Case", guid=gid(case.id), name=case.name)
            _description(element, case.description, None)
            for name, value in case.variables.items():
                holder = _sub(element, "VariableValue")
                _sub(holder, "VariableRef", targetGUID=_derived(name, "variable"))
                _value_element(holder, kinds[name], value)
            for source in project.sources:
                if source.case == case.id:
                    _sub(element, "SourceRef", targetGUID=gid(source.id))

    codings_of: dict[str, list[Coding]] = {}
    for coding in project.codings:
        codings_of.setdefault(coding.source, []).append(coding)
    anchored_of: dict[str, list[Note]] = {}
    for note in project.notes:
        if note.source is not None:
            anchored_of.setdefault(note.source, []).append(note)
    if project.sources:
        sources = _sub(root, "Sources")
        for source in project.sources:
            guid = gid(source.id)
            element = _sub(
                sources, "TextSource", guid=guid, name=source.name,
                plainTextPath=f"internal://{guid}.txt",
                creatingUser=gid(source.creator) if source.creator else None,
                creationDateTime=_when(source.created),
            )  # fmt: skip
            turns = [[t.start, t.end, t.speaker, t.begin_ms, t.end_ms] for t in source.turns]
            _description(element, "", {"kind": source.kind, "turns": turns})
            for coding in codings_of.get(source.id, []):
                selection = _sub(
                    element, "PlainTextSelection", guid=_derived(coding.id, "selection"),
                    name=source.text[coding.start : coding.end][:60],
                    startPosition=str(coding.start), endPosition=str(coding.end),
                    creatingUser=gid(coding.coder), creationDateTime=_when(coding.created),
                )  # fmt: skip
                if coding.origin != "person":
                    _description(selection, "", {"origin": coding.origin})
                tag = _sub(
                    selection, "Coding", guid=gid(coding.id), creatingUser=gid(coding.coder),
                    creationDateTime=_when(coding.created),
                )  # fmt: skip
                _sub(tag, "CodeRef", targetGUID=gid(coding.code))
                note_refs(tag, "coding", coding.id)
            for note in anchored_of.get(source.id, []):
                selection = _sub(
                    element, "PlainTextSelection", guid=_derived(note.id, "anchor"),
                    startPosition=str(note.start), endPosition=str(note.end),
                    creatingUser=gid(note.author),
                )  # fmt: skip
                _sub(selection, "NoteRef", targetGUID=gid(note.id))
            note_refs(element, "source", source.id)
            if source.timepoint is not None:
                holder = _sub(element, "VariableValue")
                _sub(holder, "VariableRef", targetGUID=_TIMEPOINT_GUID)
                _sub(holder, "TextValue").text = source.timepoint

    if project.notes:
        notes = _sub(root, "Notes")
        for note in project.notes:
            element = _sub(
                notes, "Note", guid=gid(note.id), name=f"{note.kind} note",
                creatingUser=gid(note.author), creationDateTime=_when(note.created),
            )  # fmt: skip
            target = gid(note.target) if note.target is not None else None
            _description(
                element, "", {"kind": note.kind, "target_kind": note.target_kind, "target": target}
            )
            _sub(element, "PlainTextContent").text = note.text

    if project.themes:
        sets = _sub(root, "Sets")
        case_names = {c.id: c.name for c in project.cases}
        for theme in project.themes:
            element = _sub(sets, "Set", guid=gid(theme.id), name=theme.name)
            meta = {
                "theme": theme.level,
                "parent": gid(theme.parent) if theme.parent else None,
                "case": gid(theme.case) if theme.case else None,
                "case_name": case_names.get(theme.case) if theme.case else None,
                "codings": [gid(m.member) for m in theme.members if m.kind == "coding"],
            }
            _description(element, theme.description, meta)
            for m in theme.members:
                if m.kind == "code":
                    _sub(element, "MemberCode", targetGUID=gid(m.member))
            for m in theme.members:
                if m.kind == "note":
                    _sub(element, "MemberNote", targetGUID=gid(m.member))

    if project.description:
        _sub(root, "Description").text = project.description
    note_refs(root, "project", None)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True))


def write_qdpx(project: Project, path: Path) -> None:
    """Write ``project`` as a REFI-QDA ``.qdpx`` (atomic: the old file stays until done)."""
    qde = project_to_qde(project)

    def write(target: Path) -> None:
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("project.qde", qde)
            for source in project.sources:
                archive.writestr(f"sources/{_guid(source.id)}.txt", source.text.encode("utf-8"))

    atomic_write(path, write)


def codebook_to_qdc(codes: Iterable[Code]) -> bytes:
    """A REFI-QDA ``.qdc`` codebook (``urn:QDA-XML:codebook:1.0``) of ``codes``."""
    codes = list(codes)
    if not codes:
        raise QualInputError(["the codebook has no codes (a .qdc needs at least one)"])
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS})  # type: ignore[dict-item]
    root.set("origin", ORIGIN)
    children: dict[str | None, list[Code]] = {}
    for code in codes:
        children.setdefault(code.parent, []).append(code)

    def add(parent: etree._Element, parent_id: str | None) -> None:
        for code in children.get(parent_id, []):
            element = _sub(parent, "Code", CODEBOOK_NS, guid=_guid(code.id), name=code.name,
                           isCodable="true", color=code.color)  # fmt: skip
            if code.description:
                _sub(element, "Description", CODEBOOK_NS).text = code.description
            add(element, code.id)

    add(_sub(root, "Codes", CODEBOOK_NS), None)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True))


def write_qdc(codes: Iterable[Code], path: Path) -> None:
    """Write a ``.qdc`` codebook (atomic)."""
    data = codebook_to_qdc(codes)

    def write(target: Path) -> None:
        target.write_bytes(data)

    atomic_write(path, write)


# ---------------------------------------------------------------------------------- reading


def read_qdc(path: Path) -> list[Code]:
    """The codes of a ``.qdc`` codebook; every problem reported at once."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise QualInputError([f"{path}: cannot read ({error.strerror})"]) from error
    problems = schema_problems(data, codebook=True)
    if problems:
        raise QualInputError(f"{path}: {p}" for p in problems)
    root = etree.fromstring(data)
    codes: list[Code] = []

    def walk(element: etree._Element, parent: str | None) -> None:
        for child in element.findall(f"{{{CODEBOOK_NS}}}Code"):
            description = child.findtext(f"{{{CODEBOOK_NS}}}Description") or ""
            code = Code(child.get("guid", ""), child.get("name", ""), parent, description,
                        _colour(child.get("color")))  # fmt: skip
            codes.append(code)
            walk(child, code.id)

    walk(root.find(f"{{{CODEBOOK_NS}}}Codes"), None)  # type: ignore[arg-type]
    return codes


def _colour(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) == 4:  # #rgb -> #rrggbb
        return "#" + "".join(c * 2 for c in value[1:])
    return value


def _text_value(holder: etree._Element, variable: str, where: str, problems: list[str]) -> Any:
    for child in holder:
        tag = etree.QName(child).localname
        text = (child.text or "").strip()
        try:
            if tag == "TextValue":
                return child.text or ""
            if tag == "BooleanValue":
                return text in ("true", "1")
            if tag == "IntegerValue":
                return int(text)
            if tag == "FloatValue":
                return float(text)
            if tag == "DateValue":
                return date.fromisoformat(text)
            if tag == "DateTimeValue":
                return _parse_when(text)
        except ValueError:
            problems.append(f"{where}: variable {variable!r}: {text!r} is not a {tag}")
            return None
    return None


def _source_timepoint(
    element: etree._Element, variables: dict[str, str], where: str, problems: list[str]
) -> str | None:
    """The source's ``Timepoint`` variable as one of :data:`TIMEPOINTS` (spelt as balm or
    as its label: "Follow-up", "Mid-point"); other source variables are not kept."""
    for holder in element.findall(f"{{{NS}}}VariableValue"):
        ref = holder.find(f"{{{NS}}}VariableRef")
        variable = variables.get(ref.get("targetGUID", "") if ref is not None else "", "")
        if variable.strip().casefold() != TIMEPOINT_VARIABLE.casefold():
            continue
        raw = _text_value(holder, variable, where, problems)
        value = re.sub(r"[\s-]+", "_", str(raw or "").strip().casefold())
        value = _TIMEPOINT_SPELLINGS.get(value, value)
        if not value:
            return None
        if value not in TIMEPOINTS:
            problems.append(
                f"{where}: variable {variable!r}: {raw!r} is not one of "
                f"{', '.join(TIMEPOINTS)} (or empty)"
            )
            return None
        return value
    return None


def read_qdpx(path: Path) -> Project:
    """Read a REFI-QDA ``.qdpx``; raise :class:`QualInputError` listing every problem.

    Checked: the file is a zip holding ``project.qde``; the XML is valid against the
    REFI-QDA Project schema; every text source's plain text is in the archive (or inline);
    every coding lies inside its text and names a known code and user; then the whole
    project as :func:`balm.qual.project.validate_project` checks it.
    """
    where = str(path)
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError as error:
        raise QualInputError([f"{where}: no such file"]) from error
    except (zipfile.BadZipFile, OSError) as error:
        raise QualInputError([f"{where}: not a REFI-QDA .qdpx file (not a zip archive)"]) from error
    with archive:
        members = {name.lower(): name for name in archive.namelist()}
        if "project.qde" not in members:
            raise QualInputError([f"{where}: no project.qde in the archive"])
        try:
            qde = archive.read(members["project.qde"])
        except (zipfile.BadZipFile, OSError) as error:
            raise QualInputError([f"{where}: project.qde cannot be read ({error})"]) from error
        problems = schema_problems(qde)
        if problems:
            raise QualInputError(f"{where}: project.qde {p}" for p in problems)
        root = etree.fromstring(qde)

        def text_of(source: etree._Element, name: str) -> str | None:
            inline = source.find(f"{{{NS}}}PlainTextContent")
            if inline is not None:
                return inline.text or ""
            target = source.get("plainTextPath")
            if target is None:
                problems.append(f"{where}: source {name!r} has no plain text")
                return None
            if not target.startswith("internal://"):
                problems.append(f"{where}: source {name!r}: {target!r} is outside the archive")
                return None
            member = members.get("sources/" + target.removeprefix("internal://").lower())
            if member is None:
                problems.append(f"{where}: source {name!r}: {target!r} is not in the archive")
                return None
            try:
                return archive.read(member).decode("utf-8-sig")
            except UnicodeDecodeError:
                problems.append(f"{where}: source {name!r}: the text is not UTF-8")
            except (zipfile.BadZipFile, OSError) as error:
                problems.append(f"{where}: source {name!r}: cannot read the text ({error})")
            return None

        try:
            project = _project_from(root, text_of, where, problems)
        except QualInputError as error:
            raise QualInputError([*problems, *(f"{where}: {p}" for p in error.problems)]) from error
    problems += [f"{where}: {p}" for p in project_problems(project)]
    if problems:
        raise QualInputError(problems)
    return project


def _normalised(text: str, name: str, where: str, problems: list[str]) -> tuple[str, list[int]]:
    """The text with ``\\n`` line endings and, for each old offset, its new offset."""
    if "\r" not in text:
        positions = list(range(len(text) + 1))
    else:
        positions = []
        out: list[str] = []
        i = 0
        while i < len(text):
            positions.append(len(out))
            if text[i] == "\r":
                out.append("\n")
                if i + 1 < len(text) and text[i + 1] == "\n":
                    i += 1
                    positions.append(len(out) - 1)
            else:
                out.append(text[i])
            i += 1
        positions.append(len(out))
        text = "".join(out)
    if not unicodedata.is_normalized("NFC", text):
        problems.append(
            f"{where}: source {name!r}: the text is not in Unicode NFC, so its offsets "
            "cannot be kept; normalise it in the program that made the file"
        )
    return text, positions


def _project_from(
    root: etree._Element,
    text_of: Callable[[etree._Element, str], str | None],
    where: str,
    problems: list[str],
) -> Project:
    def q(tag: str) -> str:
        return f"{{{NS}}}{tag}"

    project = Project(
        name=root.get("name", ""),
        created=_parse_when(root.get("creationDateTime")),
        description=root.findtext(q("Description")) or "",
    )
    users = {u.get("guid", ""): u for u in root.iterfind(f"{q('Users')}/{q('User')}")}
    for guid, element in users.items():
        project.users.append(User(guid, element.get("name") or element.get("id") or guid))
    note_targets: dict[str, tuple[str, str | None]] = {}
    note_anchors: dict[str, tuple[str, int, int]] = {}

    def collect_note_refs(element: etree._Element, kind: str, target: str | None) -> None:
        for ref in element.findall(q("NoteRef")):
            note_targets.setdefault(ref.get("targetGUID", ""), (kind, target))

    def walk_codes(element: etree._Element, parent: str | None) -> None:
        for child in element.findall(q("Code")):
            guid = child.get("guid", "")
            description, _ = _split_description(child)
            project.codes.append(
                Code(guid, child.get("name", ""), parent, description, _colour(child.get("color")))
            )
            collect_note_refs(child, "code", guid)
            walk_codes(child, guid)

    codes = root.find(f"{q('CodeBook')}/{q('Codes')}")
    if codes is not None:
        walk_codes(codes, None)

    variables = {
        v.get("guid", ""): v.get("name", "")
        for v in root.iterfind(f"{q('Variables')}/{q('Variable')}")
    }
    case_of: dict[str, str] = {}
    for element in root.iterfind(f"{q('Cases')}/{q('Case')}"):
        guid = element.get("guid", "")
        name = element.get("name") or guid
        values: dict[str, VariableValue] = {}
        for holder in element.findall(q("VariableValue")):
            ref = holder.find(q("VariableRef"))
            variable_guid = ref.get("targetGUID", "") if ref is not None else ""
            if variable_guid not in variables:
                problems.append(f"{where}: case {name!r}: unknown variable id {variable_guid!r}")
                continue
            variable = variables[variable_guid]
            value = _text_value(holder, variable, f"{where}: case {name!r}", problems)
            if value is not None:
                values[variable] = value
        description, _ = _split_description(element)
        project.cases.append(Case(guid, name, values, description))
        for ref in element.findall(q("SourceRef")):
            case_of.setdefault(ref.get("targetGUID", ""), guid)

    for element in root.iterfind(f"{q('Sources')}/{q('TextSource')}"):
        guid = element.get("guid", "")
        name = element.get("name") or guid
        raw = text_of(element, name)
        if raw is None:
            continue
        text, positions = _normalised(raw, name, where, problems)

        def at(
            position: int,
            source_name: str = name,
            size: int = len(raw),
            moved: list[int] = positions,
        ) -> int:
            if 0 <= position <= size:
                return moved[position]
            problems.append(
                f"{where}: source {source_name!r}: position {position} is outside the text "
                f"(0 to {size})"
            )
            return position

        _, meta = _split_description(element)
        meta = meta or {}
        turns = tuple(
            Turn(at(t[0]), at(t[1]), t[2], t[3], t[4])
            for t in meta.get("turns", [])
            if isinstance(t, list) and len(t) == 5
        )
        project.sources.append(
            Source(
                id=guid,
                name=name,
                text=text,
                kind=str(meta.get("kind", "other")),
                case=case_of.get(guid),
                turns=turns,
                created=_parse_when(element.get("creationDateTime")),
                creator=element.get("creatingUser"),
                timepoint=_source_timepoint(
                    element, variables, f"{where}: source {name!r}", problems
                ),
            )
        )
        collect_note_refs(element, "source", guid)
        for selection in element.findall(q("PlainTextSelection")):
            start = at(int(selection.get("startPosition", "0")))
            end = at(int(selection.get("endPosition", "0")))
            _, selection_meta = _split_description(selection)
            origin = str((selection_meta or {}).get("origin", "person"))
            for tag in selection.findall(q("Coding")):
                coder = tag.get("creatingUser") or selection.get("creatingUser")
                coding_id = tag.get("guid", "")
                if coder is None:
                    problems.append(f"{where}: coding {coding_id!r} in {name!r} names no user")
                    continue
                code_ref = tag.find(q("CodeRef"))
                project.codings.append(
                    Coding(
                        id=coding_id,
                        source=guid,
                        start=start,
                        end=end,
                        code=code_ref.get("targetGUID", "") if code_ref is not None else "",
                        coder=coder,
                        created=_parse_when(
                            tag.get("creationDateTime") or selection.get("creationDateTime")
                        ),
                        origin=origin,
                    )
                )
                collect_note_refs(tag, "coding", coding_id)
            for ref in selection.findall(q("NoteRef")):
                note_anchors.setdefault(ref.get("targetGUID", ""), (guid, start, end))

    collect_note_refs(root, "project", None)
    for element in root.iterfind(f"{q('Notes')}/{q('Note')}"):
        guid = element.get("guid", "")
        _, meta = _split_description(element)
        kind, target = note_targets.get(guid, ("project", None))
        anchor = note_anchors.get(guid)
        if meta is not None:
            kind, target = str(meta.get("target_kind", kind)), meta.get("target", target)
        elif anchor is not None and guid not in note_targets:
            kind, target = "source", anchor[0]
        inline = element.findtext(q("PlainTextContent"))
        body = inline if inline is not None else text_of(element, element.get("name") or guid)
        author = element.get("creatingUser")
        if author is None:
            problems.append(f"{where}: note {guid!r} names no author (creatingUser)")
            continue
        project.notes.append(
            Note(
                id=guid,
                text=body or "",
                author=author,
                kind=str((meta or {}).get("kind", "memo")),
                target_kind=kind,
                target=target,
                source=anchor[0] if anchor else None,
                start=anchor[1] if anchor else None,
                end=anchor[2] if anchor else None,
                created=_parse_when(element.get("creationDateTime")),
            )
        )

    for element in root.iterfind(f"{q('Sets')}/{q('Set')}"):
        description, meta = _split_description(element)
        if meta is None or "theme" not in meta:
            continue
        members = [
            ThemeMember("code", r.get("targetGUID", "")) for r in element.findall(q("MemberCode"))
        ]
        members += [ThemeMember("coding", str(g)) for g in meta.get("codings", [])]
        members += [
            ThemeMember("note", r.get("targetGUID", "")) for r in element.findall(q("MemberNote"))
        ]
        project.themes.append(
            Theme(
                id=element.get("guid", ""),
                name=element.get("name", ""),
                level=str(meta["theme"]),
                parent=meta.get("parent"),
                case=meta.get("case"),
                description=description,
                members=tuple(members),
            )
        )
    return project
