"""Tidy CSV downloads for researchers and staff: a cohort's or a site's scores (one row per
enrolment, i.e. course of treatment, per timepoint; ``?items=1`` adds each item's answer) and
weekly check-ins (``?notes=1`` adds the participant's note: clinical staff of the site only,
or researchers where the site allows it), sessions with their attendance (and, for clinical
staff, the facilitators' feedback and reflections), enrolments with their status history, and
the data dictionary describing every column. Pseudonyms only, whoever asks; every download is
audited. The scores and check-ins stream their rows from the database
(:mod:`balm.web.downloads`): memory stays flat whatever the site's history."""

from __future__ import annotations

from typing import Any

import pandas as pd
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from balm.accounts import permissions
from balm.accounts.models import Site
from balm.audit.models import record
from balm.outcomes.export import (
    Table,
    checkins_table,
    csv_bytes,
    data_dictionary,
    enrolments_frame,
    scores_table,
    sessions_frame,
)
from balm.programmes.models import Enrolment
from balm.web.downloads import streamed_csv
from balm.web.views.common import require_staff, staff_cohort
from balm.web.views.export_formats import statistics_file


def _send(request: HttpRequest, table: Table, name: str) -> HttpResponseBase:
    """The file of ``table`` named ``<name>.csv``: streamed CSV, or with ``?format=sav|dta|
    parquet`` the statistics file (written whole: those formats cannot be streamed)."""
    if request.GET.get("format", "csv") not in {"", "csv"}:
        frame = pd.DataFrame(list(table.rows), columns=table.columns)
        response = statistics_file(request, frame, f"{name}.csv")
        if response is not None:
            return response
    return streamed_csv(
        f"{name}.csv", table.columns, table.rows, table.text_cells, table.lines, table.data
    )


def _csv(frame: pd.DataFrame, filename: str) -> HttpResponse:
    """A small export (one row per session or enrolment) written whole, as the Evaluation page
    writes it (:func:`balm.outcomes.export.csv_bytes`)."""
    response = HttpResponse(csv_bytes(frame), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _asked(request: HttpRequest, name: str) -> bool:
    return request.GET.get(name) in {"1", "yes", "true"}


def _bands(request: HttpRequest) -> bool:
    return _asked(request, "bands")


def may_export_notes(user: object, site: Site) -> bool:
    """Check-in notes are free text: clinical staff of the site, or its researchers where the
    site allows it (``Site.researchers_see_checkin_notes``)."""
    if permissions.can_view_free_text(user, site):
        return True
    return site.researchers_see_checkin_notes and permissions.can_view_pseudonymised(user, site)


@login_required
@require_GET
def export_cohort(request: HttpRequest, cohort_id: int) -> HttpResponseBase:
    cohort = staff_cohort(request, cohort_id)
    items = _asked(request, "items")
    table = scores_table(
        Enrolment.objects.filter(cohort=cohort), bands=_bands(request), items=items
    )
    record(
        "export.scores",
        by=request.user,
        obj=cohort,
        site=cohort.site,
        details={"scope": "cohort", "rows": table.count, "items": items},
    )
    return _send(request, table, f"balm-cohort-{cohort.pk}-scores")


def _site(request: HttpRequest, site_id: int) -> Site:
    require_staff(request)
    site = get_object_or_404(Site, pk=site_id)
    if not permissions.can_view_pseudonymised(request.user, site):
        raise Http404
    return site


@login_required
@require_GET
def export_site(request: HttpRequest, site_id: int) -> HttpResponseBase:
    site = _site(request, site_id)
    items = _asked(request, "items")
    table = scores_table(
        Enrolment.objects.filter(cohort__site=site), bands=_bands(request), items=items
    )
    record(
        "export.scores",
        by=request.user,
        obj=site,
        site=site,
        details={"scope": "site", "rows": table.count, "items": items},
    )
    return _send(request, table, f"balm-{site.slug}-scores")


def _scope(request: HttpRequest) -> tuple[Site, Any, str, QuerySet[Enrolment]]:
    """``?cohort=<id>`` or ``?site=<id>``: the site, the object audited, the file name part and
    the enrolments in scope (a cohort or a site the user may see, else 404)."""
    try:
        cohort_id = int(request.GET.get("cohort", "") or 0)
        site_id = int(request.GET.get("site", "") or 0)
    except ValueError as error:
        raise Http404 from error
    if cohort_id:
        cohort = staff_cohort(request, cohort_id)
        return cohort.site, cohort, f"cohort-{cohort.pk}", Enrolment.objects.filter(cohort=cohort)
    if site_id:
        site = _site(request, site_id)
        return site, site, site.slug, Enrolment.objects.filter(cohort__site=site)
    raise Http404("Choose a cohort or a site.")


@login_required
@require_GET
def export_checkins(request: HttpRequest) -> HttpResponseBase:
    """``?cohort=<id>`` or ``?site=<id>``: one row per enrolment (course of treatment) per week."""
    site, obj, name, enrolments = _scope(request)
    notes = _asked(request, "notes")
    if notes and not may_export_notes(request.user, site):
        raise PermissionDenied(
            "Check-in notes are exported for the site's clinical staff only (or its researchers "
            "where the site allows it)."
        )
    table = checkins_table(enrolments, notes=notes)
    record(
        "export.checkins",
        by=request.user,
        obj=obj,
        site=site,
        details={"rows": table.count, "notes": notes},
    )
    return _send(request, table, f"balm-{name}-checkins")


def _with_free_text(request: HttpRequest, kind: str, make: Any) -> HttpResponse:
    """A per-scope export whose free-text columns are filled in for the site's clinical staff
    (:func:`balm.accounts.permissions.can_view_free_text`) and blank for everyone else."""
    site, obj, name, enrolments = _scope(request)
    free_text = permissions.can_view_free_text(request.user, site)
    frame = make(enrolments, free_text=free_text)
    record(
        f"export.{kind}",
        by=request.user,
        obj=obj,
        site=site,
        details={"rows": len(frame), "free_text": free_text},
    )
    return _csv(frame, f"balm-{name}-{kind}.csv")


@login_required
@require_GET
def export_sessions(request: HttpRequest) -> HttpResponse:
    """``?cohort=<id>`` or ``?site=<id>``: one row per session, as ``balm report --sessions``
    reads it; the facilitators' feedback and reflections for clinical staff only."""
    return _with_free_text(request, "sessions", sessions_frame)


@login_required
@require_GET
def export_enrolments(request: HttpRequest) -> HttpResponse:
    """``?cohort=<id>`` or ``?site=<id>``: one row per enrolment with the date of each step of
    its status history, as ``balm report --enrolments`` reads it (the participant flow); the
    reason for withdrawing for clinical staff only."""
    return _with_free_text(request, "enrolments", enrolments_frame)


@login_required
@require_GET
def export_dictionary(request: HttpRequest) -> HttpResponseBase:
    """Every column the exports can hold, what it means, its values and where it comes from."""
    require_staff(request)
    frame = data_dictionary()
    rows = iter(frame.astype(object).where(frame.notna(), None).values.tolist())
    return _send(request, Table(list(frame.columns), rows, len(frame)), "balm-data-dictionary")
