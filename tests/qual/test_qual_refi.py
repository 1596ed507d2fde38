"""REFI-QDA exchange: exports valid against the vendored REFI XSDs, exact round trips, and
bad files refused with every problem listed."""

from __future__ import annotations

import unicodedata
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from balm.qual import QualInputError
from balm.qual.project import Code, Coding, Project, Source, User, new_id
from balm.qual.refi import (
    codebook_to_qdc,
    project_to_qde,
    read_qdc,
    read_qdpx,
    schema_problems,
    write_qdc,
    write_qdpx,
)

NS = {"q": "urn:QDA-XML:project:1.0"}


def test_export_is_valid_against_the_refi_project_schema(project: Project) -> None:
    qde = project_to_qde(project)
    assert schema_problems(qde) == []
    # The schema check is not vacuous: the same document without a required attribute fails.
    broken = qde.replace(b' isCodable="true"', b"", 1)
    assert any("isCodable" in p for p in schema_problems(broken))


def test_export_structure(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "p.qdpx"
    write_qdpx(project, path)
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        root = etree.fromstring(archive.read("project.qde"))
        # Plain text sources live in sources/ as UTF-8, named by their internal:// path.
        for source in root.iterfind("q:Sources/q:TextSource", NS):
            target = source.get("plainTextPath")
            assert target is not None and target.startswith("internal://")
            member = "sources/" + target.removeprefix("internal://")
            assert member in names
        texts = {archive.read(n).decode("utf-8") for n in names if n.startswith("sources/")}
    assert texts == {s.text for s in project.sources}
    # Nested codes: Flare-ups sits inside Pain.
    inner = root.find("q:CodeBook/q:Codes/q:Code/q:Code", NS)
    assert inner is not None and inner.get("name") == "Flare-ups"
    # Each coding: one PlainTextSelection with positions, Coding with user and time, CodeRef.
    coding = root.find(".//q:Coding[@guid='00000000-0000-4000-8000-0000000e0001']", NS)
    assert coding is not None
    assert coding.get("creatingUser") == "00000000-0000-4000-8000-00000000a001"
    assert coding.get("creationDateTime") == "2026-03-05T10:30:00Z"
    selection = coding.getparent()
    assert (selection.get("startPosition"), selection.get("endPosition")) == ("35", "44")
    # Case with its variables and its source.
    case = root.find("q:Cases/q:Case", NS)
    assert case is not None and case.get("name") == "P03"
    assert case.find("q:SourceRef", NS).get("targetGUID") == project.sources[0].id  # type: ignore[union-attr]
    kinds = {v.get("name"): v.get("typeOfVariable") for v in root.iterfind(".//q:Variable", NS)}
    assert kinds == {"site": "Text", "sessions": "Integer", "completed": "Boolean"}
    # Themes are Sets; the group theme has its code and note as members.
    sets = {s.get("name"): s for s in root.iterfind("q:Sets/q:Set", NS)}
    group = sets["Bodies that set limits"]
    assert [m.get("targetGUID") for m in group.findall("q:MemberCode", NS)] == [project.codes[0].id]
    assert len(group.findall("q:MemberNote", NS)) == 1


def test_round_trip_keeps_everything(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "p.qdpx"
    write_qdpx(project, path)
    again = read_qdpx(path)
    assert again.users == project.users
    assert again.codes == project.codes
    assert again.sources == project.sources
    assert again.codings == project.codings
    assert again.notes == project.notes
    assert again.cases == project.cases
    assert again.themes == project.themes
    assert (again.name, again.created) == (project.name, project.created)
    # And a second pass writes the same XML.
    write_qdpx(again, tmp_path / "q.qdpx")
    assert project_to_qde(read_qdpx(tmp_path / "q.qdpx")) == project_to_qde(project)


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r"),
    min_size=1,
    max_size=40,
).map(lambda t: unicodedata.normalize("NFC", t))


@settings(max_examples=40, deadline=None)
@given(
    texts=st.lists(_TEXT.filter(lambda t: bool(t) and t[0] != "\ufeff"), min_size=1, max_size=3),
    data=st.data(),
)
def test_round_trip_property(tmp_path_factory: pytest.TempPathFactory, texts, data) -> None:  # type: ignore[no-untyped-def]
    """Any codings inside any NFC texts come back with the same source, span, code, coder."""
    users = [User(new_id(), "Ann"), User(new_id(), "Ben")]
    codes = [Code(new_id(), "A"), Code(new_id(), "B")]
    sources = [Source(new_id(), f"s{i}", t) for i, t in enumerate(texts)]
    codings = []
    for _ in range(data.draw(st.integers(0, 8))):
        source = data.draw(st.sampled_from(sources))
        start = data.draw(st.integers(0, len(source.text) - 1))
        end = data.draw(st.integers(start + 1, len(source.text)))
        codings.append(
            Coding(
                new_id(),
                source.id,
                start,
                end,
                data.draw(st.sampled_from(codes)).id,
                data.draw(st.sampled_from(users)).id,
                datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            )
        )
    project = Project("p", users=users, codes=codes, sources=sources, codings=codings)
    path = tmp_path_factory.mktemp("rt") / "p.qdpx"
    write_qdpx(project, path)
    again = read_qdpx(path)

    # Codings come back grouped by source (the file nests them in their source), so compare
    # them by id.
    def key(p: Project) -> list[tuple[str, str, int, int, str, str]]:
        return sorted((c.id, c.source, c.start, c.end, c.code, c.coder) for c in p.codings)

    assert key(again) == key(project)
    assert [s.text for s in again.sources] == texts


def test_offsets_count_code_points_not_bytes(tmp_path: Path) -> None:
    """'Café' is 4 code points (5 UTF-8 bytes); 'crème' starts at code point 5."""
    user, code = User(new_id(), "Ann"), Code(new_id(), "Food")
    source = Source(new_id(), "s", "Café crème")
    coding = Coding(new_id(), source.id, 5, 10, code.id, user.id)
    project = Project("p", [user], [code], [source], [coding])
    write_qdpx(project, tmp_path / "p.qdpx")
    again = read_qdpx(tmp_path / "p.qdpx")
    assert again.sources[0].text[again.codings[0].start : again.codings[0].end] == "crème"


def _qdpx(path: Path, qde: str, files: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", qde)
        for name, text in (files or {}).items():
            archive.writestr(name, text)
    return path


HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="urn:QDA-XML:project:1.0" name="x">'
USER = "11111111-1111-4111-8111-111111111111"
CODE = "22222222-2222-4222-8222-222222222222"
SRC = "33333333-3333-4333-8333-333333333333"


def _source_qde(selections: str) -> str:
    return (
        HEAD
        + f'<Users><User guid="{USER}" name="Ann"/></Users>'
        + f'<CodeBook><Codes><Code guid="{CODE}" name="c" isCodable="true"/></Codes></CodeBook>'
        + f'<Sources><TextSource guid="{SRC}" name="s" plainTextPath="internal://{SRC}.txt">'
        + selections
        + "</TextSource></Sources></Project>"
    )


def _selection(guid_end: str, start: int, end: int, code: str, user: str) -> str:
    return (
        f'<PlainTextSelection guid="44444444-4444-4444-8444-44444444{guid_end}" '
        f'startPosition="{start}" endPosition="{end}">'
        f'<Coding guid="55555555-5555-4555-8555-55555555{guid_end}" creatingUser="{user}">'
        f'<CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>'
    )


def test_reads_a_file_from_another_program_with_crlf_text(tmp_path: Path) -> None:
    """Text 'ab\\r\\ncd': 'cd' is at [4, 6) there and at [3, 5) once the line end is '\\n'."""
    qde = _source_qde(_selection("0001", 4, 6, CODE, USER))
    path = _qdpx(tmp_path / "x.qdpx", qde, {f"Sources/{SRC}.txt": "ab\r\ncd"})
    project = read_qdpx(path)
    assert project.sources[0].text == "ab\ncd"
    coding = project.codings[0]
    assert (coding.start, coding.end) == (3, 5)
    assert project.sources[0].kind == "other"


def test_every_bad_coding_is_listed_at_once(tmp_path: Path) -> None:
    unknown_code = "66666666-6666-4666-8666-666666666666"
    unknown_user = "77777777-7777-4777-8777-777777777777"
    qde = _source_qde(
        _selection("0001", 2, 99, CODE, USER)  # past the end of the 5-character text
        + _selection("0002", 3, 3, CODE, USER)  # empty span
        + _selection("0003", 0, 2, unknown_code, USER)
        + _selection("0004", 0, 2, CODE, unknown_user)
    )
    path = _qdpx(tmp_path / "x.qdpx", qde, {f"sources/{SRC}.txt": "hello"})
    with pytest.raises(QualInputError) as caught:
        read_qdpx(path)
    text = "\n".join(caught.value.problems)
    assert "position 99 is outside the text" in text
    assert "span [3, 3) is not inside the text" in text
    assert f"unknown code id {unknown_code!r}" in text
    assert f"unknown user id {unknown_user!r}" in text


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"plain text, not a zip", "not a zip archive"),
        (None, "no project.qde"),
        (b"<Project", "not well-formed XML"),
        (b'<Project xmlns="urn:QDA-XML:project:1.0"/>', "name"),  # required name missing
        (b'<Project xmlns="urn:QDA-XML:project:1.0" name="x"><Oops/></Project>', "Oops"),
    ],
)
def test_bad_files_are_refused(tmp_path: Path, content: bytes | None, expected: str) -> None:
    path = tmp_path / "bad.qdpx"
    if content == b"plain text, not a zip":
        path.write_bytes(content)
    else:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("other.txt", "x")
            if content is not None:
                archive.writestr("project.qde", content)
    with pytest.raises(QualInputError) as caught:
        read_qdpx(path)
    assert expected in str(caught.value)
    assert str(path) in str(caught.value)


def test_unreadable_date_time_is_named(tmp_path: Path) -> None:
    # Valid xsd:dateTime (hour 24 is allowed by XML Schema 1.0) that Python cannot hold.
    qde = _source_qde("").replace('name="s"', 'name="s" creationDateTime="2026-01-01T24:00:00"')
    path = _qdpx(tmp_path / "x.qdpx", qde, {f"sources/{SRC}.txt": "hello"})
    with pytest.raises(QualInputError, match="date-time '2026-01-01T24:00:00' cannot be read"):
        read_qdpx(path)


def test_missing_source_text_is_named(tmp_path: Path) -> None:
    path = _qdpx(tmp_path / "x.qdpx", _source_qde(""))
    with pytest.raises(QualInputError, match="is not in the archive"):
        read_qdpx(path)


def test_an_invalid_project_is_not_written(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "p.qdpx"
    path.write_bytes(b"old")
    bad = Coding(new_id(), project.sources[1].id, 0, 999, project.codes[0].id, "nobody")
    project.codings.append(bad)
    with pytest.raises(QualInputError) as caught:
        write_qdpx(project, path)
    assert len(caught.value.problems) == 2  # the span and the unknown user
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["p.qdpx"]  # no temporary file left


def test_codebook_qdc_round_trip_and_schema(project: Project, tmp_path: Path) -> None:
    data = codebook_to_qdc(project.codes)
    assert schema_problems(data, codebook=True) == []
    write_qdc(project.codes, tmp_path / "c.qdc")
    assert read_qdc(tmp_path / "c.qdc") == project.codes


def test_bad_codebook_lists_problems(tmp_path: Path) -> None:
    path = tmp_path / "c.qdc"
    path.write_text(
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
        '<Code guid="not-a-guid" name="x" isCodable="true"/>'
        '<Code guid="22222222-2222-4222-8222-222222222222" isCodable="maybe"/>'
        "</Codes></CodeBook>"
    )
    with pytest.raises(QualInputError) as caught:
        read_qdc(path)
    assert len(caught.value.problems) >= 3  # bad GUID, missing name, bad boolean


def test_reads_notes_cases_and_sets_as_other_programs_write_them(tmp_path: Path) -> None:
    """No balm metadata: inline text, NoteRefs only, a plain Set, a user without a name."""
    note_code = "88888888-8888-4888-8888-888888888801"
    note_span = "88888888-8888-4888-8888-888888888802"
    case = "99999999-9999-4999-8999-999999999901"
    variable = "99999999-9999-4999-8999-999999999902"
    body = """
<Users><User guid="{user}"/></Users>
<CodeBook><Codes><Code guid="{code}" name="c" isCodable="true" color="#0a0">
  <NoteRef targetGUID="{note_code}"/></Code></Codes></CodeBook>
<Variables><Variable guid="{variable}" name="age" typeOfVariable="Integer"/></Variables>
<Cases><Case guid="{case}" name="P09">
  <VariableValue><VariableRef targetGUID="{variable}"/><IntegerValue>52</IntegerValue>
  </VariableValue><SourceRef targetGUID="{source}"/></Case></Cases>
<Sources><TextSource guid="{source}" name="s"><PlainTextContent>hello world</PlainTextContent>
  <PlainTextSelection guid="44444444-4444-4444-8444-444444440009" startPosition="6"
   endPosition="11"><NoteRef targetGUID="{note_span}"/></PlainTextSelection>
</TextSource></Sources>
<Notes>
  <Note guid="{note_code}" creatingUser="{user}"><PlainTextContent>on code</PlainTextContent></Note>
  <Note guid="{note_span}" creatingUser="{user}"><PlainTextContent>on span</PlainTextContent></Note>
</Notes>
<Sets><Set guid="99999999-9999-4999-8999-999999999903" name="grouping">
  <MemberCode targetGUID="{code}"/></Set></Sets>
</Project>"""
    qde = HEAD + body.format(
        user=USER, code=CODE, source=SRC, note_code=note_code, note_span=note_span, case=case,
        variable=variable,
    )  # fmt: skip
    project = read_qdpx(_qdpx(tmp_path / "x.qdpx", qde))
    assert project.users[0].name == USER  # no name: the GUID stands in
    assert project.codes[0].color == "#00aa00"  # #rgb read as #rrggbb
    assert project.sources[0].text == "hello world" and project.sources[0].case == case
    assert project.cases[0].variables == {"age": 52}
    by_text = {n.text: n for n in project.notes}
    assert (by_text["on code"].target_kind, by_text["on code"].target) == ("code", CODE)
    span = by_text["on span"]
    assert (span.target_kind, span.target, span.source, span.start, span.end) == (
        "source", SRC, SRC, 6, 11,
    )  # fmt: skip
    assert project.themes == []  # a Set without balm's theme line is not a theme


def test_a_text_starting_with_a_byte_order_mark_is_refused(tmp_path: Path) -> None:
    """Found by the round-trip property: a source file's leading U+FEFF is taken for a
    byte-order mark and dropped when read back, so every offset would shift by one. Import
    strips it (balm.qual.textnorm); a project holding one is refused, and nothing written."""
    text = "\ufeffPain"
    project = Project("p", sources=[Source(new_id(), "s", text)])
    with pytest.raises(QualInputError, match="byte-order mark"):
        write_qdpx(project, tmp_path / "p.qdpx")
    assert not (tmp_path / "p.qdpx").exists()
