"""The audit trail of an administrator's sites: a filtered, paginated page and a CSV of the
same events. Nobody else has the pages (404). Downloading the CSV is itself audited."""

from __future__ import annotations

import csv
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from balm.accounts import permissions
from balm.accounts.models import Site
from balm.audit import trail
from balm.audit.models import record
from balm.web.forms import DATE, BalmForm

PAGE_SIZE = 50


class TrailForm(BalmForm):
    site = forms.ModelChoiceField(
        queryset=Site.objects.none(), required=False, empty_label="All my sites"
    )
    pseudonym = forms.CharField(max_length=40, required=False, label="Participant pseudonym")
    actor = forms.CharField(max_length=150, required=False, label="Done by (user name)")
    action = forms.ChoiceField(required=False, choices=[])
    date_from = forms.DateField(required=False, label="From", widget=DATE)
    date_to = forms.DateField(required=False, label="To", widget=DATE)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        site_field = self.fields["site"]
        assert isinstance(site_field, forms.ModelChoiceField)
        site_field.queryset = Site.objects.filter(id__in=permissions.administered_site_ids(user))
        actions = (
            permissions.visible_audit_events(user)
            .order_by("action")
            .values_list("action", flat=True)
            .distinct()
        )
        action_field = self.fields["action"]
        assert isinstance(action_field, forms.ChoiceField)
        action_field.choices = [("", "Any action"), *((a, a) for a in actions)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data


def _trail(request: HttpRequest) -> tuple[TrailForm, trail.TrailFilter | None]:
    if not permissions.can_view_audit_trail(request.user):
        raise Http404
    form = TrailForm(request.GET or None, user=request.user)
    administered = frozenset(permissions.administered_site_ids(request.user))
    if not request.GET:
        return form, trail.TrailFilter(site_ids=administered)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    site = data.get("site")
    return form, trail.TrailFilter(
        site_ids=frozenset({site.pk}) if site else administered,
        pseudonym=data.get("pseudonym", "").strip(),
        actor=data.get("actor", "").strip(),
        action=data.get("action", ""),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )


@login_required
@require_GET
def audit_trail(request: HttpRequest) -> HttpResponse:
    form, chosen = _trail(request)
    page = None
    if chosen is not None:
        events = trail.filtered(permissions.visible_audit_events(request.user), chosen)
        page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "balm/audit_trail.html",
        {
            "form": form,
            "page": page,
            "rows": [
                (event, trail.actor_label(event), trail.details_text(event))
                for event in (page or [])
            ],
            "query": query.urlencode(),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
@require_GET
def audit_trail_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    form, chosen = _trail(request)
    if chosen is None:
        return render(
            request, "balm/audit_trail.html", {"form": form, "page": None, "rows": []}, status=422
        )
    events = trail.filtered(permissions.visible_audit_events(request.user), chosen)
    for site in Site.objects.filter(id__in=chosen.site_ids):
        record(
            "export.audit_trail",
            by=request.user,
            obj=site,
            site=site,
            details={"filter": request.GET.dict()},
        )
    writer = csv.writer(_Echo(), lineterminator="\n")
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in trail.csv_rows(events)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
    response["Cache-Control"] = "no-store"
    return response
