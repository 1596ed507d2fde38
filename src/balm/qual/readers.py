"""Reading transcripts and written feedback: .txt, .docx, .odt, WebVTT (.vtt) and SRT (.srt).

Each reader returns the text, normalised once (:func:`balm.qual.textnorm.normalise_text`), and
its speaker turns: from ``Name:`` labels at the start of lines (.txt, .docx, .odt), from voice
tags ``<v Name>`` or ``Name:`` labels in cues (.vtt, .srt), with the cue times in
milliseconds. Consecutive cues of the same named speaker form one turn. A file that cannot be
read is a :class:`~balm.qual.errors.QualInputError` naming the file.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.parsers.expat import ExpatError
from xml.sax import SAXException

from lxml import etree

from balm.qual.errors import QualInputError
from balm.qual.project import Turn
from balm.qual.textnorm import SPEAKER_LABEL, join_paragraphs, normalise_text, turns_from_labels

SUFFIXES = (".txt", ".docx", ".odt", ".vtt", ".srt")
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True, slots=True)
class RawText:
    """A file's text (normalised) and speaker turns, before pseudonymisation."""

    name: str
    text: str
    turns: tuple[Turn, ...]


def read_source_file(path: Path) -> RawText:
    """Read one transcript or feedback file; raise :class:`QualInputError` naming the file."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise QualInputError(
            [f"{path}: cannot read {suffix or 'files without a suffix'}; use {', '.join(SUFFIXES)}"]
        )
    if not path.is_file():
        raise QualInputError([f"{path}: no such file"])
    try:
        if suffix == ".txt":
            text = normalise_text(path.read_bytes().decode("utf-8"))
            result = RawText(path.stem, text, turns_from_labels(text))
        elif suffix == ".docx":
            result = _labelled(path, _docx_paragraphs(path))
        elif suffix == ".odt":
            result = _labelled(path, _odt_paragraphs(path))
        elif suffix == ".vtt":
            result = _timed(path, _vtt_cues(path))
        else:
            result = _timed(path, _srt_cues(path))
    except UnicodeDecodeError as error:
        message = f"{path}: not UTF-8 text ({error.reason} at byte {error.start})"
        raise QualInputError([message]) from error
    except (
        OSError,
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        ExpatError,
        SAXException,
        etree.XMLSyntaxError,
    ) as error:
        raise QualInputError([f"{path}: cannot read this {suffix} file ({error})"]) from error
    if not result.text.strip():
        raise QualInputError([f"{path}: the file holds no text"])
    return result


def _labelled(path: Path, paragraphs: list[str]) -> RawText:
    text = join_paragraphs(paragraphs)
    return RawText(path.stem, text, turns_from_labels(text))


def _docx_paragraphs(path: Path) -> list[str]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        document = docx.Document(str(path))
    except PackageNotFoundError as error:
        raise ValueError("not a Word .docx document") from error
    paragraphs: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            # A transcript laid out as a table (speaker | words) reads as "speaker: words".
            for row in block.rows:
                cells = [c.text.strip() for c in row.cells if c.text.strip()]
                paragraphs.append(": ".join(cells))
        else:
            paragraphs.append(block.text)
    return paragraphs


def _odt_paragraphs(path: Path) -> list[str]:
    from odf import teletype
    from odf.namespaces import TEXTNS
    from odf.opendocument import load

    document = load(str(path))
    paragraphs: list[str] = []

    def walk(node: object) -> None:
        for child in getattr(node, "childNodes", []):
            if getattr(child, "qname", None) in {(TEXTNS, "p"), (TEXTNS, "h")}:
                paragraphs.append(str(teletype.extractText(child)))
            else:
                walk(child)

    walk(document.text)
    return paragraphs


@dataclass(frozen=True, slots=True)
class _Cue:
    begin_ms: int
    end_ms: int
    speaker: str | None
    words: str


def _vtt_cues(path: Path) -> list[_Cue]:
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    try:
        captions = webvtt.read(str(path))
    except (MalformedFileError, MalformedCaptionError) as error:
        raise ValueError(f"not a valid WebVTT file: {error}") from error
    cues = []
    for caption in captions.captions:
        words = " ".join(line.strip() for line in caption.text.splitlines() if line.strip())
        speaker = caption.voice
        cues.append(
            _Cue(
                caption.start_time.in_milliseconds(),
                caption.end_time.in_milliseconds(),
                speaker.strip() if speaker else None,
                words,
            )
        )
    return cues


def _srt_cues(path: Path) -> list[_Cue]:
    import srt

    content = path.read_bytes().decode("utf-8-sig")
    try:
        subtitles = list(srt.parse(content))
    except srt.SRTParseError as error:
        raise ValueError(f"not a valid SRT file: {error}") from error
    cues = []
    for subtitle in subtitles:
        words = " ".join(
            _TAG.sub("", line).strip() for line in subtitle.content.splitlines() if line.strip()
        )
        cues.append(
            _Cue(
                int(subtitle.start.total_seconds() * 1000),
                int(subtitle.end.total_seconds() * 1000),
                None,
                words,
            )
        )
    return cues


def _timed(path: Path, cues: list[_Cue]) -> RawText:
    """One line per turn, ``Speaker: words`` when the speaker is known."""
    merged: list[_Cue] = []
    for cue in cues:
        speaker, words = cue.speaker, normalise_text(cue.words)
        if speaker is None and (match := SPEAKER_LABEL.match(words)):
            speaker, words = match.group("label"), words[match.end() :]
        if not words.strip():
            continue
        if merged and speaker is not None and merged[-1].speaker == speaker:
            last = merged[-1]
            merged[-1] = _Cue(last.begin_ms, cue.end_ms, speaker, f"{last.words} {words}")
        else:
            merged.append(_Cue(cue.begin_ms, cue.end_ms, speaker, words))
    lines: list[str] = []
    turns: list[Turn] = []
    offset = 0
    for cue in merged:
        line = f"{cue.speaker}: {cue.words}" if cue.speaker else cue.words
        lines.append(line)
        turns.append(Turn(offset, offset + len(line), cue.speaker, cue.begin_ms, cue.end_ms))
        offset += len(line) + 1
    text = "\n".join(lines)
    if normalise_text(text) != text:
        raise ValueError("cue text does not normalise stably")
    return RawText(path.stem, text, tuple(turns))
