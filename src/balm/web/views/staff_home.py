"""The staff home page, small however many years of groups a site has run: running, planned
and recent groups first (finished ones behind a filter, a page at a time), the newest open
safety alerts with a link to all of them, and a search by group name or (clinical staff only)
participant pseudonym."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from balm.accounts import permissions
from balm.accounts.permissions import CLINICAL_ROLES
from balm.programmes.models import Enrolment
from balm.web.participant_session import current_participant

#: A group finished or cancelled within this many weeks of its start still shows as recent.
RECENT_WEEKS = 26
COHORTS_PER_PAGE = 20
ALERTS_SHOWN = 10
#: Open alerts are counted up to this many ("100+" beyond): counting every one joined 27,000
#: open alerts at 276 ms in bench/scale.py; the list of all of them gives the exact number.
ALERT_COUNT_CAP = 100
ALERTS_PER_PAGE = 50
SEARCH_LIMIT = 50
SHOW = {"current": "Running, planned and recent", "finished": "Finished", "all": "All"}


def _page(request: HttpRequest, rows: Any, per_page: int) -> Any:
    return Paginator(rows, per_page).get_page(request.GET.get("page"))


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        if current_participant(request) is not None:
            return redirect("my-questionnaires")
        return redirect("login")
    if not permissions.is_staff_member(user):
        if current_participant(request) is not None:
            return redirect("my-questionnaires")
        return render(request, "balm/no_access.html", status=403)
    today = timezone.localdate()
    show = request.GET.get("show", "current")
    show = show if show in SHOW else "current"
    current = Q(status__in=("planned", "running")) | Q(
        start_date__gte=today - timedelta(weeks=RECENT_WEEKS)
    )
    visible = permissions.visible_cohorts(user)
    chosen = {"current": visible.filter(current), "finished": visible.exclude(current)}
    cohorts = chosen.get(show, visible).select_related("site", "template")
    alerts = (
        permissions.visible_alerts(user)
        .open()
        .select_related("response__assessment__enrolment__participant")
    )
    query = request.GET.get("q", "").strip()[:100]
    sites = list(permissions.visible_sites(user))
    clinical = permissions.site_ids(user, CLINICAL_ROLES)
    return render(
        request,
        "balm/home.html",
        {
            "cohorts": _page(request, cohorts, COHORTS_PER_PAGE),
            "show": show,
            "show_choices": SHOW,
            "finished": chosen["finished"].count() if show == "current" else None,
            "alerts": list(alerts[:ALERTS_SHOWN]),
            "alert_count": _capped_count(alerts, ALERT_COUNT_CAP),
            "sites": sites,
            "can_create_cohort": bool(clinical),
            "can_search_people": bool(clinical),
            "query": query,
            "found_cohorts": list(
                visible.filter(name__icontains=query).select_related("site")[:SEARCH_LIMIT]
            )
            if query
            else None,
            "found_people": _people(user, query) if query and clinical else None,
        },
    )


def _capped_count(rows: Any, cap: int) -> str:
    """How many rows, as text: the number up to ``cap``, ``"<cap>+"`` beyond (the database
    stops counting at ``cap + 1``)."""
    counted = rows.order_by().values("pk")[: cap + 1].count()
    return f"{cap}+" if counted > cap else str(counted)


def _people(user: Any, query: str) -> list[Enrolment]:
    """Courses of the participant whose pseudonym is ``query`` (any case), at the sites where
    ``user`` is clinical staff (researchers search groups only). A pseudonym is a code copied
    from a form: matched whole, by index."""
    return list(
        Enrolment.objects.filter(
            participant__site_id__in=permissions.site_ids(user, CLINICAL_ROLES),
            participant__pseudonym__iexact=query,
        )
        .select_related("participant", "cohort")
        .order_by("participant__pseudonym", "-cohort__start_date")[:SEARCH_LIMIT]
    )


@login_required
@require_GET
def alerts(request: HttpRequest) -> HttpResponse:
    """Every open safety alert the user may act on, newest first, a page at a time."""
    if not permissions.is_staff_member(request.user):
        return render(request, "balm/no_access.html", status=403)
    rows = (
        permissions.visible_alerts(request.user)
        .open()
        .select_related("response__assessment__enrolment__participant")
    )
    return render(request, "balm/alerts.html", {"alerts": _page(request, rows, ALERTS_PER_PAGE)})
