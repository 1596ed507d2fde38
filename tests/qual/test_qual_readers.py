"""Reading .txt, .docx, .odt, .vtt and .srt: one normalised text, speaker turns, cue times;
unreadable files named in a clear error. Every file is made here, with made-up words."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from balm.qual import QualInputError
from balm.qual.project import Turn
from balm.qual.readers import read_source_file
from balm.qual.textnorm import normalise_text, turns_from_labels

DECOMPOSED = "Cafe\u0301"  # "Café" as e + combining acute: 5 code points, 4 once NFC


def test_normalise_text() -> None:
    text = normalise_text("\ufeffa\r\nb\rc " + DECOMPOSED + "\n\n")
    assert text == "a\nb\nc Café"
    assert unicodedata.is_normalized("NFC", text) and len(text) == 10


def test_txt_with_crlf_and_decomposed_accents(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes(f"Interviewer: Hello.\r\nP03: {DECOMPOSED} helps.\r\n".encode())
    raw = read_source_file(path)
    assert raw.text == "Interviewer: Hello.\nP03: Café helps."
    # "Interviewer: Hello." is 19 code points; the P03 line starts at 20 and is 16 long.
    assert raw.turns == (Turn(0, 19, "Interviewer"), Turn(20, 36, "P03"))


def test_turns_span_unlabelled_paragraphs_and_ignore_prose_colons() -> None:
    text = "Facilitator 2: Welcome.\nP03: First part.\nSo I said: no.\nInterviewer: Right."
    # Lines at 0 (23 long), 24 (16), 41 (14), 56 (19): "So I said: no." is prose and
    # continues the P03 turn, which therefore runs from 24 to 55.
    assert turns_from_labels(text) == (
        Turn(0, 23, "Facilitator 2"),
        Turn(24, 55, "P03"),
        Turn(56, 75, "Interviewer"),
    )


def test_feedback_without_labels_is_one_turn_per_line() -> None:
    assert turns_from_labels("Good group.\n\nMore breaks please.") == (
        Turn(0, 11, None),
        Turn(13, 32, None),
    )


def test_docx_paragraphs_and_tables(
    tmp_path: Path, make_docx: Callable[[str, list[str]], Path]
) -> None:
    import docx

    path = make_docx("d.docx", ["Interviewer: How was it?", "", "P03: Better."])
    document = docx.Document(str(path))
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Interviewer"
    table.rows[0].cells[1].text = "Thank you."
    document.save(str(path))
    raw = read_source_file(path)
    assert raw.text == "Interviewer: How was it?\nP03: Better.\nInterviewer: Thank you."
    assert [t.speaker for t in raw.turns] == ["Interviewer", "P03", "Interviewer"]


def test_odt(tmp_path: Path) -> None:
    from odf import teletype
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    document = OpenDocumentText()
    heading = H(outlinelevel=1)
    teletype.addTextToElement(heading, "Session 4 feedback")
    document.text.addElement(heading)
    for line in ("P03: It was  calmer.", "Interviewer: Good."):
        paragraph = P()
        teletype.addTextToElement(paragraph, line)
        document.text.addElement(paragraph)
    path = tmp_path / "o.odt"
    document.save(str(path))
    raw = read_source_file(path)
    assert raw.text == "Session 4 feedback\nP03: It was  calmer.\nInterviewer: Good."
    # The heading, before any labelled line, is a turn with no speaker.
    assert [t.speaker for t in raw.turns] == [None, "P03", "Interviewer"]


def test_webvtt_voices_and_times(tmp_path: Path) -> None:
    path = tmp_path / "v.vtt"
    path.write_text(
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:04.000\n<v Interviewer>How are you?\n\n"
        "00:00:05.000 --> 00:00:07.500\n<v P03>Tired, <i>really</i>\nbut OK.\n\n"
        "00:00:07.500 --> 00:00:09.250\n<v P03>Better than May.\n\n"
        "00:00:10.000 --> 00:00:11.000\nInterviewer: Thanks.\n",
        encoding="utf-8",
    )
    raw = read_source_file(path)
    assert raw.text == (
        "Interviewer: How are you?\nP03: Tired, really but OK. Better than May.\n"
        "Interviewer: Thanks."
    )
    # Consecutive cues of one voice are one turn, from the first cue's start to the last's end.
    assert raw.turns == (
        Turn(0, 25, "Interviewer", 1000, 4000),
        Turn(26, 69, "P03", 5000, 9250),
        Turn(70, 90, "Interviewer", 10000, 11000),
    )


def test_srt_cues(tmp_path: Path) -> None:
    path = tmp_path / "s.srt"
    path.write_text(
        "1\n00:00:01,000 --> 00:00:02,500\nP03: I slept <b>badly</b>.\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\nInterviewer: Sorry to hear.\n\n"
        "3\n00:00:04,200 --> 00:00:05,000\nNo speaker here.\n",
        encoding="utf-8",
    )
    raw = read_source_file(path)
    assert raw.text == "P03: I slept badly.\nInterviewer: Sorry to hear.\nNo speaker here."
    assert raw.turns == (
        Turn(0, 19, "P03", 1000, 2500),
        Turn(20, 47, "Interviewer", 3000, 4000),
        Turn(48, 64, None, 4200, 5000),
    )


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("broken.docx", b"PK\x03\x04 not really a zip", "cannot read this .docx file"),
        ("broken.odt", b"not an odt", "cannot read this .odt file"),
        ("broken.vtt", b"no header\n\n00:00 --> x\n", "cannot read this .vtt file"),
        ("broken.srt", b"1\nnot a time\nwords\n", "cannot read this .srt file"),
        ("latin1.txt", "caf\xe9".encode("latin-1"), "not UTF-8 text"),
        ("empty.txt", b"\n \n", "holds no text"),
        ("notes.pdf", b"%PDF", "cannot read .pdf"),
    ],
)
def test_unreadable_files_are_named(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(QualInputError) as caught:
        read_source_file(path)
    assert expected in str(caught.value)
    assert str(path) in str(caught.value)


def test_docx_with_broken_xml_inside_is_named(
    tmp_path: Path, make_docx: Callable[[str, list[str]], Path]
) -> None:
    import zipfile

    good = make_docx("good.docx", ["Hello."])
    bad = tmp_path / "cut.docx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(bad, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = data[:200]  # cut mid-element
            target.writestr(item, data)
    with pytest.raises(QualInputError, match=r"cut\.docx: cannot read this \.docx file"):
        read_source_file(bad)
