"""Tidy CSV downloads for researchers and staff: a cohort's or a site's scores (one row per
enrolment, i.e. course of treatment, per timepoint; ``?items=1`` adds each item's answer) and
weekly check-ins (``?notes=1`` adds the participant's note: clinical staff of the site only,
or researchers where the site allows it), and the data dictionary describing every column.
Pseudonyms only, whoever asks; every download is audited. Every file streams its rows from
the database (:mod:`balm.web.downloads`): memory stays flat whatever the site's history."""

from __future__ import annotations

import pandas as pd
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from balm.accounts import permissions
from balm.accounts.models import Site
from balm.audit.models import record
from balm.outcomes.export import Table, checkins_table, data_dictionary, scores_table
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
    return streamed_csv(f"{name}.csv", table.columns, table.rows)


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


@login_required
@require_GET
def export_checkins(request: HttpRequest) -> HttpResponseBase:
    """``?cohort=<id>`` or ``?site=<id>``: one row per enrolment (course of treatment) per week."""
    try:
        cohort_id = int(request.GET.get("cohort", "") or 0)
        site_id = int(request.GET.get("site", "") or 0)
    except ValueError as error:
        raise Http404 from error
    if cohort_id:
        cohort = staff_cohort(request, cohort_id)
        site, obj, name = cohort.site, cohort, f"cohort-{cohort.pk}"
        enrolments = Enrolment.objects.filter(cohort=cohort)
    elif site_id:
        site = _site(request, site_id)
        obj, name = site, site.slug
        enrolments = Enrolment.objects.filter(cohort__site=site)
    else:
        raise Http404("Choose a cohort or a site.")
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


@login_required
@require_GET
def export_dictionary(request: HttpRequest) -> HttpResponseBase:
    """Every column the exports can hold, what it means, its values and where it comes from."""
    require_staff(request)
    frame = data_dictionary()
    rows = iter(frame.astype(object).where(frame.notna(), None).values.tolist())
    return _send(request, Table(list(frame.columns), rows, len(frame)), "balm-data-dictionary")
