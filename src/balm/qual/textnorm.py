"""Text normalisation (once, at import) and speaker turns found from line labels.

The rule for offsets: a source's text is Unicode NFC with ``\\n`` line endings, fixed at
import and never changed again; every offset in balm (codings, notes, speaker turns, REFI-QDA
``startPosition``/``endPosition``) counts Unicode code points of that text.
"""

from __future__ import annotations

import re
import unicodedata

from balm.qual.project import Turn

SPEAKER_LABEL = re.compile(
    r"(?P<label>[A-Z][\w'.\-]*(?:[ ][A-Z0-9][\w'.\-]*){0,2})[ \t]*:[ \t]*",
)
"""A speaker label at the start of a line: one to three words and a colon, e.g.
``Interviewer:``, ``P03:``, ``Facilitator 2:``. Every word starts with a capital or a digit,
so prose such as ``So I said: no`` is not taken for a label."""


def normalise_text(text: str) -> str:
    """NFC, ``\\n`` line endings, no byte-order mark, no trailing blank lines."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text).rstrip("\n")


def join_paragraphs(paragraphs: list[str]) -> str:
    """Paragraphs (of a .docx or .odt) as one text, one paragraph a line, empty ones dropped."""
    return normalise_text("\n".join(p.strip() for p in paragraphs if p.strip()))


def turns_from_labels(text: str) -> tuple[Turn, ...]:
    """Speaker turns of a transcript whose lines start with ``Name:`` labels.

    A turn runs from a labelled line to the end of the line before the next labelled
    line (so a turn may hold several paragraphs). When no line has a label, every
    non-empty line is a turn with no speaker (written feedback, a reflection).
    """
    lines: list[tuple[int, int, str | None]] = []
    offset = 0
    for line in text.split("\n"):
        end = offset + len(line)
        if line.strip():
            match = SPEAKER_LABEL.match(line)
            lines.append((offset, end, match.group("label") if match else None))
        offset = end + 1
    if not any(label for _, _, label in lines):
        return tuple(Turn(start, end) for start, end, _ in lines)
    turns: list[Turn] = []
    for start, end, label in lines:
        if label is None and turns:
            last = turns[-1]
            turns[-1] = Turn(last.start, end, last.speaker)
        else:
            turns.append(Turn(start, end, label))
    return tuple(turns)
