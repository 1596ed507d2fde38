"""Pseudonymisation at import: every kind of identifier planted (all synthetic) is gone from
the stored text and from the written .qdpx; the report says where each one was."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from balm.qual import QualInputError
from balm.qual.importing import add_raw_text, add_source_file
from balm.qual.project import Project
from balm.qual.pseudonymise import (
    NameLists,
    PseudonymMap,
    nhs_check_digit_valid,
    parse_name_list,
    pseudonymise,
)
from balm.qual.readers import RawText
from balm.qual.refi import write_qdpx
from balm.qual.textnorm import turns_from_labels

# NHS numbers, check digits worked by hand (NHS Data Dictionary, "NHS Number", modulus 11):
# 999 123 457 -> 9*10 + 9*9 + 9*8 + 1*7 + 2*6 + 3*5 + 4*4 + 5*3 + 7*2 = 322; 322 mod 11 = 3;
#   check = 11 - 3 = 8, so 999 123 4578 is valid and 999 123 4577 is not.
# 999 123 450 -> ... + 5*3 + 0*2 = 308 = 11 * 28; remainder 0 -> 11 -> check digit 0,
#   so 9991234500 is valid.
# 999 000 000 -> 90 + 81 + 72 = 243; 243 mod 11 = 1 -> check 10: no valid number at all.
VALID_NHS = ("999 123 4578", "9991234500")
INVALID_NHS = ("999 123 4577", "9990000000", "9990000001")

# Phone numbers from Ofcom's ranges kept for drama (never assigned); example.org is reserved
# for examples (RFC 2606); ZZ99 3VZ is the NHS pseudo-postcode for "no fixed abode".
PLANTED = {
    "Sarah": "participant",
    "SARAH JONES": "participant",
    "Tom Baker": "other participant",
    "Dr Anya Patel": "staff",
    "Larkfield": "term",
    "Brightwork Ltd": "term",
    "s.jones@example.org": "email",
    "07700 900123": "phone",
    "+44 113 496 0000": "phone",
    "(020) 7946 0018": "phone",
    "999 123 4578": "nhs number",
    "9991234500": "nhs number",
    "12/03/1961": "date",
    "1961-03-12": "date",
    "3rd March 1961": "date",
    "March 12, 1961": "date",
    "ZZ99 3VZ": "postcode",
    "AB1 2CD": "postcode",
}

TRANSCRIPT = """Interviewer: Thanks for coming, Sarah. Is it SARAH JONES on the form?
Sarah: Yes. Tom Baker from the group drove me; Dr Anya Patel ran it at Larkfield.
Sarah: I work for Brightwork Ltd. Mail s.jones@example.org or ring 07700 900123,
or the office on +44 113 496 0000, or my sister on (020) 7946 0018.
Sarah: NHS number 999 123 4578, my old one 9991234500; not 999 123 4577.
Sarah: Born 12/03/1961 (1961-03-12), so 3rd March 1961 or March 12, 1961.
Sarah: Post to ZZ99 3VZ or AB1 2CD.
Interviewer: Thank you, sarah."""

NAMES = NameLists(
    participant=("Sarah", "Sarah Jones"),
    others=("Tom Baker",),
    staff=("Dr Anya Patel",),
    terms=(("Larkfield", "place"), ("Brightwork Ltd", "employer")),
)


def test_nhs_check_digit() -> None:
    assert all(nhs_check_digit_valid(n.replace(" ", "")) for n in VALID_NHS)
    assert not any(nhs_check_digit_valid(n.replace(" ", "")) for n in INVALID_NHS)


def test_every_planted_identifier_is_replaced_and_reported() -> None:
    result = pseudonymise(TRANSCRIPT, NAMES, PseudonymMap())
    for planted in PLANTED:
        assert planted.lower() not in result.text.lower(), planted
    # "Sarah" alone is checked above as a substring of any case; digits of numbers too:
    for digits in ("900123", "4960000", "79460018", "1234578", "1961"):
        assert digits not in result.text.replace(" ", ""), digits
    # The invalid NHS number is not an identifier and stays.
    assert "999 123 4577" in result.text
    found = {(r.original, r.kind) for r in result.replacements}
    for planted, kind in PLANTED.items():
        assert (planted, kind) in found, planted
    # Each entry points at the original in the old text and the replacement in the new.
    for r in result.replacements:
        assert TRANSCRIPT[r.start : r.end] == r.original
        assert result.text[r.new_start : r.new_end] == r.replacement


def test_pseudonyms_and_tags() -> None:
    mapping = PseudonymMap()
    result = pseudonymise(TRANSCRIPT, _labelled(), mapping)
    by_original = {r.original: r.replacement for r in result.replacements}
    assert by_original["Sarah"] == "P03"
    assert by_original["SARAH JONES"] == "P03"  # longest first: the full name is one match
    assert by_original["sarah"] == "P03"  # case-insensitive
    assert by_original["Tom Baker"] == "[participant A]"
    assert by_original["Dr Anya Patel"] == "[staff 1]"
    assert by_original["Larkfield"] == "[place]"
    assert by_original["Brightwork Ltd"] == "[employer]"
    assert by_original["s.jones@example.org"] == "[email]"
    assert by_original["999 123 4578"] == "[NHS number]"
    assert by_original["ZZ99 3VZ"] == "[postcode]"


def _labelled() -> NameLists:
    return NameLists(NAMES.participant, "P03", NAMES.others, NAMES.staff, NAMES.terms)


def test_whole_words_only() -> None:
    names = NameLists(participant=("Ann",))
    result = pseudonymise(
        "Ann met Annabel at the annual Ann-Marie event; ANN left.", names, PseudonymMap()
    )
    assert (
        result.text
        == "[participant] met Annabel at the annual [participant]-Marie event; [participant] left."
    )


def test_same_name_same_pseudonym_across_sources() -> None:
    mapping = PseudonymMap()
    names = NameLists(others=("Tom", "Priya"), staff=("Dr Lee",))
    first = pseudonymise("Priya and Tom; Dr Lee.", names, mapping)
    second = pseudonymise(
        "Tom, then Dr Lee, then Priya.",
        NameLists(others=("Tom", "Priya"), staff=("Dr Lee",)),
        mapping,
    )
    assert first.text == "[participant A] and [participant B]; [staff 1]."
    assert second.text == "[participant B], then [staff 1], then [participant A]."
    # The map survives being saved apart from the project.
    again = PseudonymMap.from_json(mapping.to_json())
    assert pseudonymise("tom", NameLists(others=("Tom",)), again).text == "[participant B]"


def test_variants_of_one_name_share_a_pseudonym_and_numbers_have_no_gaps() -> None:
    names = parse_name_list("other: Tom Baker | Tom | Mr Baker\nother: Priya\nother: Unmentioned")
    result = pseudonymise("Mr Baker, then Priya, then Tom Baker, then tom.", names, PseudonymMap())
    assert result.text == (
        "[participant A], then [participant B], then [participant A], then [participant A]."
    )


def test_map_span_moves_offsets_through_replacements() -> None:
    # "Hi Sarah.\nOK" -> "Hi [participant].\nOK": the second line moves from 10 to 18.
    result = pseudonymise("Hi Sarah.\nOK", NameLists(participant=("Sarah",)), PseudonymMap())
    assert result.text == "Hi [participant].\nOK"
    assert result.map_span(10, 12) == (18, 20)
    assert result.map_span(0, 9) == (0, 17)
    assert result.map_span(4, 5) == (3, 16)  # a span cutting a replacement grows to hold it


def test_name_list_file() -> None:
    names = parse_name_list(
        "# names for P03\nparticipant: Sarah Jones\nstaff: Dr Lee\nother: Tom\n"
        "place: Larkfield\nBrightwork\n"
    )
    assert names.participant == ("Sarah Jones",)
    assert names.staff == ("Dr Lee",)
    assert names.others == ("Tom",)
    assert names.terms == (("Larkfield", "place"), ("Brightwork", "redacted"))
    with pytest.raises(QualInputError) as caught:
        parse_name_list("staff:\nplace:  \n")
    assert len(caught.value.problems) == 2


def test_nothing_planted_survives_in_the_written_project(
    tmp_path: Path, make_docx: Callable[[str, list[str]], Path]
) -> None:
    path = make_docx("sarah_jones_interview.docx", TRANSCRIPT.split("\n"))
    project = Project("p")
    report = add_source_file(
        project, path, case="P03", kind="interview", names=NAMES, mapping=PseudonymMap(), by="Ann"
    )
    assert report.source.name == "P03 interview"  # the file name carried the name too
    speakers = {t.speaker for t in report.source.turns}
    assert speakers == {"Interviewer", "P03"}
    for turn in report.source.turns:
        line = report.source.text[turn.start : turn.end]
        assert line.startswith(f"{turn.speaker}:")
    write_qdpx(project, tmp_path / "p.qdpx")
    with zipfile.ZipFile(tmp_path / "p.qdpx") as archive:
        written = "\n".join(archive.read(n).decode("utf-8") for n in archive.namelist()).lower()
    for planted in [*PLANTED, "jones"]:
        assert planted.lower() not in written, planted


def test_import_keeps_turns_aligned_with_text() -> None:
    text = "Interviewer: Hello Sarah.\nSarah: Hi.\nStill Sarah talking."
    raw = RawText("t", text, turns_from_labels(text))
    project = Project("p")
    report = add_raw_text(
        project,
        raw,
        case="P07",
        names=NameLists(participant=("Sarah",)),
        mapping=PseudonymMap(),
        by="Ann",
    )
    source = report.source
    assert source.text == "Interviewer: Hello P07.\nP07: Hi.\nStill P07 talking."
    # By hand: line 1 "Interviewer: Hello P07." is [0, 23); line 2 "P07: Hi." is [24, 32);
    # line 3 "Still P07 talking." (18) is [33, 51) and belongs to the P07 turn.
    assert [(t.start, t.end, t.speaker) for t in source.turns] == [
        (0, 23, "Interviewer"),
        (24, 51, "P07"),
    ]
    assert project.cases[0].name == "P07" and source.case == project.cases[0].id
    assert project.users[0].name == "Ann" and source.creator == project.users[0].id


_WORDS = st.sampled_from(["the", "Sarah", "group", "Larkfield", "07700 900123", "ok", "\n"])


@settings(max_examples=200, deadline=None)
@given(words=st.lists(_WORDS, max_size=30), start=st.integers(0, 300), size=st.integers(1, 50))
def test_report_positions_property(words: list[str], start: int, size: int) -> None:
    """Any text: the report points at each original and each replacement; text outside the
    replacements is unchanged; map_span keeps spans in order and inside the new text."""
    text = " ".join(words)
    result = pseudonymise(
        text, NameLists(participant=("Sarah",), terms=(("Larkfield", "place"),)), PseudonymMap()
    )
    rebuilt = []
    position = 0
    for r in result.replacements:
        assert text[r.start : r.end] == r.original
        assert result.text[r.new_start : r.new_end] == r.replacement
        rebuilt += [text[position : r.start], r.replacement]
        position = r.end
    assert "".join([*rebuilt, text[position:]]) == result.text
    start = min(start, len(text))
    end = min(start + size, len(text))
    new_start, new_end = result.map_span(start, end)
    assert 0 <= new_start <= new_end <= len(result.text)


def test_postcode_forms() -> None:
    # Outward code (1-2 letters, digit, optional letter/digit), optional space, inward code
    # (digit, two letters); "GIR 0AA" is the one special case in the format.
    text = "SW1A 1AA, GIR 0AA, ls1 4ap, M1 1AE, AB12CD; not 3rd, X9 9XXX or B52s."
    result = pseudonymise(text, NameLists(), PseudonymMap())
    assert result.text == (
        "[postcode], [postcode], [postcode], [postcode], [postcode]; not 3rd, X9 9XXX or B52s."
    )
