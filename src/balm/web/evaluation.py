"""The Evaluation page's data: which enrolments a scope and its filters hold, the report built
from them, and the report's body as the balm layout shows it.

The report is built from the same export frames the downloads serve
(:func:`balm.outcomes.export.scores_frame`, ``checkins_frame``, ``sessions_frame``,
``enrolments_frame``), written
to the same CSV bytes (:func:`balm.outcomes.export.csv_bytes`) and read back as ``balm
report`` reads a file. That in-memory round trip costs little for a cohort and makes the page
hold exactly the numbers, and the input hashes, of ``balm report`` run on the downloaded files.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Literal

import pandas as pd
from django.core.cache import cache
from django.db.models import QuerySet

from balm import __version__
from balm.outcomes.export import (
    TIMEPOINT_ORDER,
    checkins_frame,
    csv_bytes,
    enrolment_id,
    enrolments_frame,
    scores_frame,
    sessions_frame,
)
from balm.programmes.models import Cohort, Enrolment
from balm.programmes.templates import Timepoint
from balm.qual import Project
from balm.report import (
    Report,
    ReportInputError,
    ReportInputs,
    ReportOptions,
    build_report,
    check_frames,
    to_html,
)
from balm.report.render import scoped_ids

#: The download formats and their content types.
DOWNLOADS = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


@dataclass(frozen=True)
class Filters:
    """What the GET form narrows the scope to (None: everything in scope). ``started_from``
    and ``started_to`` compare with the group's start date, both ends included."""

    cohort: int | None = None
    format: str | None = None
    diagnosis: str | None = None
    started_from: date | None = None
    started_to: date | None = None
    #: The timepoint compared with baseline (None: the end, or the latest so far).
    post: str | None = None
    #: A qualitative project (its primary key) the user may read.
    project: int | None = None

    def query(self) -> dict[str, str]:
        """The filters as GET parameters (for links to downloads and to the people behind a
        number, so they show exactly this report)."""
        values = {
            "cohort": self.cohort,
            "format": self.format,
            "diagnosis": self.diagnosis,
            "started_from": self.started_from,
            "started_to": self.started_to,
            "post": self.post,
            "project": self.project,
        }
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def filtered(cohorts: QuerySet[Cohort], filters: Filters) -> QuerySet[Enrolment]:
    """The enrolments of ``cohorts`` that the filters keep."""
    if filters.cohort is not None:
        cohorts = cohorts.filter(pk=filters.cohort)
    if filters.started_from is not None:
        cohorts = cohorts.filter(start_date__gte=filters.started_from)
    if filters.started_to is not None:
        cohorts = cohorts.filter(start_date__lte=filters.started_to)
    enrolments = Enrolment.objects.filter(cohort__in=cohorts)
    if filters.format:
        enrolments = enrolments.filter(format=filters.format)
    if filters.diagnosis:
        enrolments = enrolments.filter(diagnosis_category=filters.diagnosis)
    return enrolments


def export_files(enrolments: QuerySet[Enrolment], *, free_text: bool) -> dict[str, bytes]:
    """The scores, check-ins, sessions and enrolments CSV files of ``enrolments``, byte for
    byte as the exports serve them (``free_text``: the sessions' feedback and reflections and
    the reasons for withdrawing)."""
    return {
        "scores": csv_bytes(scores_frame(enrolments)),
        "checkins": csv_bytes(checkins_frame(enrolments)),
        "sessions": csv_bytes(sessions_frame(enrolments, free_text=free_text)),
        "enrolments": csv_bytes(enrolments_frame(enrolments, free_text=free_text)),
    }


def project_sha256(project: Project) -> str:
    """The SHA-256 of a qualitative project's content (JSON of every field, keys sorted). A
    ``.qdpx`` carries the time it was written, so no file hash could be reproduced."""
    content = json.dumps(dataclasses.asdict(project), sort_keys=True, default=str)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def read_files(
    files: dict[str, bytes], options: ReportOptions, qual: Project | None = None
) -> ReportInputs:
    """The files as ``balm report`` reads them (rows named by their line, SHA-256 of each
    file), with the qualitative project if any; raises :class:`ReportInputError` with every
    problem."""
    frames: dict[str, pd.DataFrame] = {}
    for role, raw in files.items():
        frame = pd.read_csv(io.BytesIO(raw))
        frame.index = pd.RangeIndex(2, len(frame) + 2, name="line")
        frames[role] = frame
    problems = check_frames(
        frames["scores"],
        options,
        checkins=frames["checkins"],
        sessions=frames["sessions"],
        enrolments=frames["enrolments"],
    )
    if problems:
        raise ReportInputError(problems)
    digests = {role: hashlib.sha256(raw).hexdigest() for role, raw in files.items()}
    if qual is not None:
        digests["qual"] = project_sha256(qual)
    return ReportInputs(
        scores=frames["scores"],
        checkins=frames["checkins"],
        sessions=frames["sessions"],
        enrolments=frames["enrolments"],
        qual=qual,
        sha256=digests,
        checked_with=options,
    )


def latest_post(scores: bytes, pre: str) -> str:
    """The end, when anyone has an end score; else the latest timepoint after ``pre`` with a
    score (a group half-way through is compared with its mid-point); else the end (and the
    report's check says it is missing)."""
    present = set(pd.read_csv(io.BytesIO(scores), usecols=["timepoint"])["timepoint"].dropna())
    later = [
        t for t in Timepoint.values if t in present and TIMEPOINT_ORDER[t] > TIMEPOINT_ORDER[pre]
    ]
    return "end" if "end" in present or not later else later[-1]


#: How long a built report is kept (seconds). The key is the hash of its exact inputs, so a
#: change to the data is a new key and a stale report is never shown; this only bounds memory.
CACHE_SECONDS = 3600


def cache_key(
    files: dict[str, bytes],
    options: ReportOptions,
    qual: Project | None,
    figures: bool | Literal["listed"] = True,
) -> str:
    """The key of a built report: the balm version, the options, whether its figures are
    drawn and the SHA-256 of every input (the export bytes hold exactly what the user may
    see, free text included or not, so two users share a report only when their inputs are
    the same bytes)."""
    digest = hashlib.sha256(f"{__version__}\n{options!r}\nfigures={figures}\n".encode())
    for role in sorted(files):
        digest.update(f"{role}:{hashlib.sha256(files[role]).hexdigest()}\n".encode())
    if qual is not None:
        digest.update(f"qual:{project_sha256(qual)}\n".encode())
    return f"balm:evaluation:{digest.hexdigest()}"


def build(
    enrolments: QuerySet[Enrolment],
    *,
    free_text: bool,
    qual: Project | None = None,
    post: str | None = None,
    figures: bool | Literal["listed"] = True,
) -> Report:
    """The report of ``enrolments`` (and the qualitative project ``qual``) with ``balm
    report``'s defaults, comparing baseline with ``post`` (None: :func:`latest_post`); raises
    :class:`ReportInputError` when the data cannot make one yet (no baseline, no scores).

    Building takes seconds (a Jacobson plot and a growth model per score), so a report is
    kept in Django's cache under :func:`cache_key` for :data:`CACHE_SECONDS`; the export
    frames are made every time, as the key. ``figures="listed"`` builds the numbers without
    drawing the figures (:func:`balm.report.build_report`), unless the report with its
    figures is kept already: drawing is most of a small report's time, so the page shows the
    numbers first and fetches the drawings apart (:func:`figure_images`)."""
    files = export_files(enrolments, free_text=free_text)
    defaults = ReportOptions()
    options = dataclasses.replace(defaults, post=post or latest_post(files["scores"], defaults.pre))
    drawn = cache_key(files, options, qual)
    keys = [drawn] if figures is True else [drawn, cache_key(files, options, qual, figures)]
    for key in keys:
        found = cache.get(key)
        if isinstance(found, Report):
            return found
    report = build_report(read_files(files, options, qual), options, figures_on=figures)
    cache.set(keys[-1], report, CACHE_SECONDS)
    return report


def enrolment_pks(enrolments: QuerySet[Enrolment]) -> dict[str, int]:
    """The report's ``enrolment`` ids (``P07-c12``) to enrolment primary keys."""
    return {
        enrolment_id(pseudonym, cohort_id): pk
        for pk, pseudonym, cohort_id in enrolments.values_list(
            "pk", "participant__pseudonym", "cohort_id"
        )
    }


_FIGURE = re.compile(r'<div role="img" aria-label="([^"]*)">\s*(<svg\b.*?</svg>)\s*</div>', re.S)
_SWAPS = (
    ("<header>", '<div class="report-head">'),
    ("</header>", "</div>"),
    ("<main>", '<div class="report-main">'),
    ("</main>", "</div>"),
    ("<h1>", '<p class="report-title">'),
    ("</h1>", "</p>"),
    # a wide table scrolls sideways inside the page: keyboard users must reach it (WCAG 2.1.1)
    ('<div class="wide">', '<div class="wide" tabindex="0">'),
)


def _data_url(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _image(match: re.Match[str]) -> str:
    return f'<img class="report-figure" alt="{match.group(1)}" src="{_data_url(match.group(2))}">'


def figure_images(report: Report) -> dict[str, dict[str, str]]:
    """Each drawn figure of ``report`` as the page shows it: ``{key: {"alt", "src"}}`` with
    its ``<svg>`` element as a ``data:`` URL (what :func:`page_body` puts in an ``<img>``),
    for the page's script to put in place of a figure the page listed without drawing."""
    images = {}
    for f in report.figures:
        if f.svg is not None:
            svg = scoped_ids(f.svg, f.key)  # as :func:`balm.report.to_html` inlines it
            element = svg[svg.index("<svg") : svg.rindex("</svg>") + len("</svg>")]
            images[f.key] = {"alt": f.alt, "src": _data_url(element)}
    return images


_LISTED = re.compile(
    r'<figure id="figure-([\w-]+)" class="figure-listed" data-figure="[\w-]+">\s*'
    r'<p class="figure-wait">[^<]*</p>'
)


def page_body(
    report: Report,
    link: Callable[[str], str] | None = None,
    drawn_url: str | None = None,
) -> str:
    """The report's body for the balm layout under a strict Content-Security-Policy: the
    HTML of :func:`balm.report.to_html` without its document, inline stylesheet and landmarks
    (the layout has its own ``main``), its title as a line under the page's heading, and
    every inline SVG figure (whose style attributes the policy would block) as an ``<img>``
    of a ``data:`` URL, where the policy does not reach inside the picture.

    A figure listed but not drawn keeps its caption and gets a link to ``drawn_url`` (the
    page with its figures drawn), which works without JavaScript; the page's script puts the
    drawing in its place when it arrives."""
    html = to_html(report, link=link)
    body = html[html.index("<body>") + len("<body>") : html.rindex("</body>")]
    body = _FIGURE.sub(_image, body)
    if drawn_url is not None:
        body = _LISTED.sub(
            lambda m: (
                f'<figure id="figure-{m.group(1)}" class="figure-listed" '
                f'data-figure="{m.group(1)}">\n<p class="figure-wait">'
                f'<a href="{escape(drawn_url)}#figure-{m.group(1)}">Show this figure</a> '
                "(its numbers are in the table)</p>"
            ),
            body,
        )
    for old, new in _SWAPS:
        body = body.replace(old, new)
    return body
