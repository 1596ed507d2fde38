"""Qualitative analysis: interviews and written feedback, pseudonymised, coded, exchanged.

The model (:mod:`balm.qual.project`), file readers (:mod:`balm.qual.readers`),
pseudonymisation (:mod:`balm.qual.pseudonymise`), importing (:mod:`balm.qual.importing`),
REFI-QDA exchange (:mod:`balm.qual.refi`), coded-segment export (:mod:`balm.qual.export`)
and the data frames the analyses take (:mod:`balm.qual.frames`).

Offsets everywhere count Unicode code points of a source's text, which is NFC with ``\\n``
line endings, fixed at import and never changed.
"""

from balm.qual.errors import QualInputError
from balm.qual.frames import ProjectFrames, project_frames
from balm.qual.importing import ImportReport, add_raw_text, add_source_file
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
    new_id,
    validate_project,
)
from balm.qual.pseudonymise import NameLists, PseudonymMap, parse_name_list, pseudonymise
from balm.qual.readers import read_source_file
from balm.qual.refi import read_qdc, read_qdpx, write_qdc, write_qdpx

__all__ = [
    "Case",
    "Code",
    "Coding",
    "ImportReport",
    "NameLists",
    "Note",
    "Project",
    "ProjectFrames",
    "PseudonymMap",
    "QualInputError",
    "Source",
    "Theme",
    "ThemeMember",
    "Turn",
    "User",
    "add_raw_text",
    "add_source_file",
    "new_id",
    "parse_name_list",
    "project_frames",
    "pseudonymise",
    "read_qdc",
    "read_qdpx",
    "read_source_file",
    "validate_project",
    "write_qdc",
    "write_qdpx",
]
