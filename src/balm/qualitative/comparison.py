"""Two coders compared on chosen sources: agreement per code (:mod:`balm.qual.agreement`) and
each disagreement (:mod:`balm.qual.disagreement`) with whether it has been settled into the
agreed layer (:func:`balm.qualitative.actions.settle_disagreement`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from balm.audit.models import AuditEvent
from balm.qual.agreement import AgreementResult, agreement
from balm.qual.analysis_errors import QualAnalysisError
from balm.qual.disagreement import Disagreement, disagreements
from balm.qual.frames import project_frames
from balm.qualitative import convert
from balm.qualitative.models import Code, Coder, Coding, QualProject, Source

CONTEXT = 80
"""Characters of text shown either side of a disagreement."""


def run_disagreements(sources: Sequence[Source], first: Coder, second: Coder) -> list[Disagreement]:
    """The disagreements of two coders in ``sources`` (ids are the rows' primary keys)."""
    rows = Coding.objects.filter(
        source__in=sources,
        coder__in=[first, second],
        deleted_at__isnull=True,
        code__deleted_at__isnull=True,
    ).values_list("source_id", "code_id", "coder_id", "start", "end")
    return disagreements(
        ((str(s), str(c), str(k), a, b) for s, c, k, a, b in rows), str(first.pk), str(second.pk)
    )


def settled(project: QualProject) -> dict[tuple[str, str, int, int], dict[str, Any]]:
    """Settle decisions of ``project`` by (source uid, code uid, start, end): the latest."""
    found: dict[tuple[str, str, int, int], dict[str, Any]] = {}
    events = AuditEvent.objects.filter(
        action="qual.agreement.settle",
        object_type=QualProject._meta.label_lower,
        object_id=str(project.pk),
    ).order_by("at", "id")
    for event in events:
        d = event.details
        found[(d["source"], d["code"], d["start"], d["end"])] = d
    return found


@dataclass
class Piece:
    text: str
    coded: bool


@dataclass
class Shown:
    """One disagreement as the page shows it."""

    item: Disagreement
    source: Source
    code: Code
    before: str
    first: list[Piece]
    second: list[Piece]
    after: str
    decision: dict[str, Any] | None


def _pieces(text: str, start: int, end: int, spans: Sequence[tuple[int, int]]) -> list[Piece]:
    out, at = [], start
    for a, b in spans:
        if a > at:
            out.append(Piece(text[at:a], False))
        out.append(Piece(text[a:b], True))
        at = b
    if at < end:
        out.append(Piece(text[at:end], False))
    return out


def shown(project: QualProject, items: Sequence[Disagreement]) -> list[Shown]:
    sources = {str(s.pk): s for s in Source.objects.filter(pk__in={int(d.source) for d in items})}
    codes = {str(c.pk): c for c in Code.objects.filter(pk__in={int(d.code) for d in items})}
    decisions = settled(project)
    out = []
    for d in items:
        source, code = sources[d.source], codes[d.code]
        text = source.text
        out.append(
            Shown(
                d,
                source,
                code,
                text[max(0, d.start - CONTEXT) : d.start],
                _pieces(text, d.start, d.end, d.first),
                _pieces(text, d.start, d.end, d.second),
                text[d.end : d.end + CONTEXT],
                decisions.get((str(source.uid), str(code.uid), d.start, d.end)),
            )
        )
    return out


def agreement_of(
    project: QualProject, sources: Sequence[Source], first: Coder, second: Coder
) -> tuple[AgreementResult | None, list[str]]:
    """Agreement per code (character units, uncoded text counting as agreement) and the
    problems that stopped it, if any."""
    frames = project_frames(convert.to_project(project))
    try:
        result = agreement(
            frames.sources,
            frames.codes,
            frames.codings,
            frames.segments,
            source_ids=[str(s.uid) for s in sources],
            coders=[first.name, second.name],
            n_resamples=0,
        )
    except QualAnalysisError as error:
        return None, list(error.problems)
    return result, []
