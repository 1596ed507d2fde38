"""Tidy CSV downloads for researchers and staff: a cohort's or a site's scores (one row per
enrolment, i.e. course of treatment, per timepoint) and weekly check-ins. Pseudonyms only,
whoever asks; every download is audited."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from balm.accounts import permissions
from balm.accounts.models import Site
from balm.audit.models import record
from balm.outcomes.export import checkins_frame, scores_frame
from balm.programmes.models import Enrolment
from balm.web.views.common import require_staff, staff_cohort


def _csv(frame, filename: str) -> HttpResponse:  # type: ignore[no-untyped-def]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    frame.to_csv(response, index=False, lineterminator="\n")
    return response


def _bands(request: HttpRequest) -> bool:
    return request.GET.get("bands") in {"1", "yes", "true"}


@login_required
@require_GET
def export_cohort(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = staff_cohort(request, cohort_id)
    frame = scores_frame(Enrolment.objects.filter(cohort=cohort), bands=_bands(request))
    record(
        "export.scores",
        by=request.user,
        obj=cohort,
        site=cohort.site,
        details={"scope": "cohort", "rows": len(frame)},
    )
    return _csv(frame, f"balm-cohort-{cohort.pk}-scores.csv")


def _site(request: HttpRequest, site_id: int) -> Site:
    require_staff(request)
    site = get_object_or_404(Site, pk=site_id)
    if not permissions.can_view_pseudonymised(request.user, site):
        raise Http404
    return site


@login_required
@require_GET
def export_site(request: HttpRequest, site_id: int) -> HttpResponse:
    site = _site(request, site_id)
    frame = scores_frame(Enrolment.objects.filter(cohort__site=site), bands=_bands(request))
    record(
        "export.scores",
        by=request.user,
        obj=site,
        site=site,
        details={"scope": "site", "rows": len(frame)},
    )
    return _csv(frame, f"balm-{site.slug}-scores.csv")


@login_required
@require_GET
def export_checkins(request: HttpRequest) -> HttpResponse:
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
    frame = checkins_frame(enrolments)
    record(
        "export.checkins",
        by=request.user,
        obj=obj,
        site=site,
        details={"rows": len(frame)},
    )
    return _csv(frame, f"balm-{name}-checkins.csv")
