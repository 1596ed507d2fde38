"""Small synthetic qualitative projects and files for the balm.qual tests (no real data)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from balm.qual.project import (
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
)

WHEN = datetime(2026, 3, 5, 10, 30, tzinfo=UTC)

# Fixed GUIDs so that expected values can be written out by hand.
ANN = "00000000-0000-4000-8000-00000000a001"
BEN = "00000000-0000-4000-8000-00000000a002"
PAIN = "00000000-0000-4000-8000-00000000c001"
FLARE = "00000000-0000-4000-8000-00000000c002"
KIND = "00000000-0000-4000-8000-00000000c003"
P03 = "00000000-0000-4000-8000-0000000ca503"
S1 = "00000000-0000-4000-8000-00000000d001"
S2 = "00000000-0000-4000-8000-00000000d002"

# Offsets written out by hand: "Interviewer: How is the pain?" is 29 characters, then "\n",
# so the second line starts at 30; "P03: " is 5 characters, so "It flares" is [35, 44),
# "It flares when I am tired." (26 characters) is [35, 61) and the text ends at 30 + 43 = 73.
TEXT1 = "Interviewer: How is the pain?\nP03: It flares when I am tired. Café helps."
TEXT2 = "Kinder to myself now."


@pytest.fixture
def project() -> Project:
    """Every part of the model: two coders, nested codes, notes of each target, themes."""
    return Project(
        name="Synthetic CFT evaluation",
        created=WHEN,
        users=[User(ANN, "Ann"), User(BEN, "Ben")],
        codes=[
            Code(PAIN, "Pain", None, "Talk of pain", "#aa0000"),
            Code(FLARE, "Flare-ups", PAIN, "", "#ff8800"),
            Code(KIND, "Self-kindness", None, "", None),
        ],
        cases=[Case(P03, "P03", {"site": "North", "sessions": 11, "completed": True})],
        sources=[
            Source(
                S1,
                "P03 interview",
                TEXT1,
                "interview",
                P03,
                (Turn(0, 29, "Interviewer", 0, 4000), Turn(30, 73, "P03", 4000, 9500)),
                WHEN,
                ANN,
            ),
            Source(S2, "Feedback 1", TEXT2, "feedback", None, (), WHEN, ANN),
        ],
        codings=[
            Coding("00000000-0000-4000-8000-0000000e0001", S1, 35, 44, FLARE, ANN, WHEN),
            Coding("00000000-0000-4000-8000-0000000e0002", S1, 35, 61, FLARE, BEN, WHEN),
            Coding(
                "00000000-0000-4000-8000-0000000e0003", S2, 0, 16, KIND, BEN, WHEN, "suggestion"
            ),
        ],
        notes=[
            Note("00000000-0000-4000-8000-0000000f0001", "Whole project memo", ANN),
            Note(
                "00000000-0000-4000-8000-0000000f0002",
                "Tiredness as trigger",
                ANN,
                "conceptual",
                "source",
                S1,
                S1,
                35,
                61,
                WHEN,
            ),
            Note(
                "00000000-0000-4000-8000-0000000f0003",
                "Why this span?",
                BEN,
                "memo",
                "coding",
                "00000000-0000-4000-8000-0000000e0002",
            ),
            Note("00000000-0000-4000-8000-0000000f0004", "Code scope", ANN, "memo", "code", PAIN),
            Note(
                "00000000-0000-4000-8000-0000000f0005",
                "Hedged words",
                ANN,
                "linguistic",
                "theme",
                "00000000-0000-4000-8000-000000007001",
            ),
        ],
        themes=[
            Theme(
                "00000000-0000-4000-8000-000000007001",
                "Pain and energy",
                "statement",
                "00000000-0000-4000-8000-000000007002",
                P03,
                "",
                (ThemeMember("coding", "00000000-0000-4000-8000-0000000e0001"),),
            ),
            Theme(
                "00000000-0000-4000-8000-000000007002",
                "Living with flares",
                "personal",
                "00000000-0000-4000-8000-000000007003",
                P03,
            ),
            Theme(
                "00000000-0000-4000-8000-000000007003",
                "Bodies that set limits",
                "group",
                None,
                None,
                "A group experiential theme",
                (
                    ThemeMember("code", PAIN),
                    ThemeMember("note", "00000000-0000-4000-8000-0000000f0002"),
                ),
            ),
        ],
    )


@pytest.fixture
def make_docx(tmp_path: Path) -> Callable[[str, list[str]], Path]:
    def make(name: str, paragraphs: list[str]) -> Path:
        import docx

        document = docx.Document()
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
        path = tmp_path / name
        document.save(str(path))
        return path

    return make
