"""The qualitative projects a person may open (per site; make one) and a project's home."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from balm.accounts import permissions
from balm.accounts.errors import InvalidInput
from balm.accounts.models import Site
from balm.qualitative import actions, queries
from balm.qualitative.models import Code, Coding, Note
from balm.web.forms import BalmForm
from balm.web.views.qual_access import workspace

DELETED_SHOWN = 30


class ProjectForm(BalmForm):
    site = forms.ModelChoiceField(queryset=Site.objects.none(), label="Site", empty_label=None)
    name = forms.CharField(
        max_length=200,
        label="Name",
        help_text="One project per study, e.g. “End-of-programme interviews 2026”.",
        error_messages={"required": "Give the project a name."},
    )
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: object, sites: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]


@login_required
@require_http_methods(["GET", "POST"])
def project_list(request: HttpRequest) -> HttpResponse:
    """Projects the user may open, grouped by site; researchers and administrators make one."""
    projects = list(
        permissions.workspace_qual_projects(request.user)
        .select_related("site")
        .annotate(
            n_sources=Count("sources", filter=Q(sources__deleted_at__isnull=True), distinct=True)
        )
        .order_by("site__name", "name")
    )
    coding_sites = Site.objects.filter(
        id__in=permissions.site_ids(request.user, permissions.QUAL_ROLES)
    )
    if not projects and not coding_sites.exists():
        raise Http404
    form = ProjectForm(request.POST or None, sites=coding_sites)
    if request.method == "POST" and form.is_valid():
        try:
            project = actions.create_project(
                site=form.cleaned_data["site"],
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                by=request.user,
            )
        except InvalidInput as error:
            form.add_problems(error)
        else:
            messages.success(request, f"Project “{project.name}” made.")
            return redirect("qual:project", project_id=project.pk)
    for project in projects:
        project.can_code = permissions.can_code_qual(request.user, project.site_id)
    return render(
        request,
        "balm/qual/projects.html",
        {"projects": projects, "form": form if coding_sites.exists() else None},
    )


@login_required
def project_home(request: HttpRequest, project_id: int) -> HttpResponse:
    ws = workspace(request, project_id, coders_only=False)
    if not ws.can_code:  # a facilitator: their own feedback and reflections only
        return redirect("qual:sources", project_id=project_id)
    project = ws.project
    counts = {
        "sources": ws.sources().count(),
        "codes": Code.objects.filter(project=project, deleted_at__isnull=True).count(),
        "codings": Coding.objects.filter(
            source__project=project, deleted_at__isnull=True, source__deleted_at__isnull=True
        ).count(),
        "notes": Note.objects.filter(project=project, deleted_at__isnull=True).count(),
        "coders": project.coders.count(),
    }
    deleted = queries.deleted_items(project, by=request.user)[:DELETED_SHOWN]
    return render(request, "balm/qual/project.html", ws.context(counts=counts, deleted=deleted))
