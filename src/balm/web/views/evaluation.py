"""The Evaluation page: the evaluation report of a cohort, a site or every site the user may
see, live with its figures; filters as a GET form; downloads of exactly the report shown
(HTML, PDF, XLSX, JSON); and the people and passages behind each number of a joint display.

Who may open it: :func:`balm.accounts.permissions.can_view_evaluation` (the site's
researchers, administrators and facilitators); anyone else gets a 404, as for any staff page
of a site they cannot see. The facilitators' feedback and reflections go into the report only
for users who may read free text at every site in scope. Every view and download is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from balm.accounts import permissions
from balm.accounts.models import Site
from balm.audit.models import record
from balm.programmes.models import Cohort, Enrolment
from balm.qualitative.actions import export_project
from balm.qualitative.models import QualProject
from balm.report import Report, ReportInputError
from balm.report import render as render_report
from balm.web import evaluation
from balm.web.forms import EvaluationFilterForm
from balm.web.views.common import require_staff


@dataclass(frozen=True)
class Scope:
    """What an Evaluation URL covers: its cohorts, their sites and how to name it."""

    heading: str
    cohorts: QuerySet[Cohort]
    sites: tuple[Site, ...]
    audited: tuple[Cohort | Site, ...]
    filename: str
    url_name: str
    args: tuple[int, ...]

    def url(self, suffix: str = "") -> str:
        return reverse(self.url_name + suffix, args=self.args)


def _scope(request: HttpRequest, cohort_id: int | None, site_id: int | None) -> Scope:
    require_staff(request)
    user = request.user
    if cohort_id is not None:
        cohort = get_object_or_404(Cohort.objects.select_related("site"), pk=cohort_id)
        if not permissions.can_view_evaluation(user, cohort.site):
            raise Http404
        return Scope(
            f"Evaluation: {cohort.name}",
            Cohort.objects.filter(pk=cohort.pk).select_related("site"),
            (cohort.site,),
            (cohort,),
            f"cohort-{cohort.pk}",
            "evaluation-cohort",
            (cohort.pk,),
        )
    if site_id is not None:
        site = get_object_or_404(Site, pk=site_id)
        if not permissions.can_view_evaluation(user, site):
            raise Http404
        return Scope(
            f"Evaluation: {site}",
            Cohort.objects.filter(site=site).select_related("site").order_by("start_date", "pk"),
            (site,),
            (site,),
            site.slug,
            "evaluation-site",
            (site.pk,),
        )
    sites = tuple(
        s for s in permissions.visible_sites(user) if permissions.can_view_evaluation(user, s)
    )
    if not sites:
        raise Http404
    return Scope(
        "Evaluation: all your sites" if len(sites) > 1 else f"Evaluation: {sites[0]}",
        Cohort.objects.filter(site__in=sites)
        .select_related("site")
        .order_by("site__slug", "start_date", "pk"),
        sites,
        sites,
        "all-sites",
        "evaluation",
        (),
    )


def _free_text(request: HttpRequest, scope: Scope) -> bool:
    return all(permissions.can_view_free_text(request.user, s) for s in scope.sites)


def _audit(request: HttpRequest, scope: Scope, action: str, details: dict[str, object]) -> None:
    for obj in scope.audited:
        site = obj if isinstance(obj, Site) else obj.site
        record(action, by=request.user, obj=obj, site=site, details=details)


@dataclass(frozen=True)
class Built:
    form: EvaluationFilterForm
    filters: evaluation.Filters | None
    enrolments: QuerySet[Enrolment] | None
    report: Report | None
    problems: tuple[str, ...]


def _projects(request: HttpRequest, scope: Scope) -> QuerySet[QualProject]:
    """The qualitative projects of the scope's sites that the user may read whole (those who
    code the site's interviews: :func:`balm.accounts.permissions.visible_qual_projects`)."""
    return permissions.visible_qual_projects(request.user).filter(site__in=scope.sites)


def _build(request: HttpRequest, scope: Scope, figures: bool | Literal["listed"] = True) -> Built:
    projects = _projects(request, scope)
    form = EvaluationFilterForm(request.GET, cohorts=scope.cohorts, projects=list(projects))
    if not form.is_valid():
        return Built(form, None, None, None, ())
    filters = evaluation.Filters(
        **{k: v for k, v in form.cleaned_data.items() if v not in ("", None)}
    )
    enrolments = evaluation.filtered(scope.cohorts, filters)
    qual = None
    if filters.project is not None:
        qual = export_project(project=projects.get(pk=filters.project), by=request.user)
    try:
        report = evaluation.build(
            enrolments,
            free_text=_free_text(request, scope),
            qual=qual,
            post=filters.post,
            figures=figures,
        )
    except ReportInputError as error:
        return Built(form, filters, enrolments, None, error.problems)
    return Built(form, filters, enrolments, report, ())


def _linker(scope: Scope, filters: evaluation.Filters) -> Callable[[str], str]:
    base = scope.url("-behind")
    query = filters.query()
    return lambda key: f"{base}?{urlencode({**query, 'key': key})}"


@login_required
@require_GET
def evaluation_page(
    request: HttpRequest, cohort_id: int | None = None, site_id: int | None = None
) -> HttpResponse:
    """The report live; ``?download=html|pdf|xlsx|json`` gives it as a file.

    The page shows the numbers first, its figures listed but not drawn (drawing is most of
    the build's time), unless they are drawn already or asked for (``?figures=drawn``, the
    link each listed figure carries); the page's script fetches them all at once from
    ``?part=figures`` (:func:`evaluation.figure_images`, JSON)."""
    scope = _scope(request, cohort_id, site_id)
    download = request.GET.get("download")
    if download is not None and download not in evaluation.DOWNLOADS:
        raise Http404(f"No such format; choose one of {', '.join(evaluation.DOWNLOADS)}.")
    part = request.GET.get("part")
    if part is not None and part != "figures":
        raise Http404("No such part; the only one is figures.")
    drawn = download is not None or part is not None or request.GET.get("figures") == "drawn"
    built = _build(request, scope, True if drawn else "listed")
    if part is not None:
        if built.report is None:
            raise Http404("There is no report for these filters.")
        # the drawings of the page just viewed (and audited as "evaluation.view")
        answer = JsonResponse(evaluation.figure_images(built.report))
        answer["Cache-Control"] = "no-store"
        return answer
    if download and built.report is not None and built.filters is not None:
        content = render_report(built.report, f".{download}")
        _audit(
            request,
            scope,
            "evaluation.download",
            {"format": download, "filters": built.filters.query()},
        )
        response = HttpResponse(content, content_type=evaluation.DOWNLOADS[download])
        response["Content-Disposition"] = (
            f'attachment; filename="balm-evaluation-{scope.filename}.{download}"'
        )
        response["Cache-Control"] = "no-store"
        return response
    body = None
    figures_url = None
    downloads: list[tuple[str, str]] = []
    if built.report is not None and built.filters is not None:
        query = built.filters.query()
        if any(f.svg is None for f in built.report.figures):
            figures_url = f"{scope.url()}?{urlencode({**query, 'part': 'figures'})}"
        # The report's own renderer escapes every value (Jinja2 autoescape).
        body = mark_safe(
            evaluation.page_body(
                built.report,
                _linker(scope, built.filters),
                drawn_url=f"{scope.url()}?{urlencode({**query, 'figures': 'drawn'})}",
            )
        )
        downloads = [
            (name.upper(), f"{scope.url()}?{urlencode({**query, 'download': name})}")
            for name in evaluation.DOWNLOADS
        ]
        _audit(request, scope, "evaluation.view", {"filters": query})
    status = 400 if built.form.errors else 200
    response = render(
        request,
        "balm/evaluation.html",
        {
            "scope": scope,
            "form": built.form,
            "body": body,
            "figures_url": figures_url,
            "problems": built.problems,
            "downloads": downloads,
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def evaluation_behind(
    request: HttpRequest, cohort_id: int | None = None, site_id: int | None = None
) -> HttpResponse:
    """The participants (with links to their records) and the passages behind one number of
    a joint display: ``?key=jd:<table>:<row>:<column>`` and the report's filters."""
    scope = _scope(request, cohort_id, site_id)
    built = _build(request, scope, "listed")
    key = request.GET.get("key", "")
    behind = built.report.behind(key) if built.report is not None else None
    if behind is None or built.enrolments is None or built.filters is None:
        raise Http404("That number is not in this report.")
    assert built.report is not None
    _, table_key, row, column = key.split(":")
    table = built.report.table(table_key)
    what = f"{table.caption}: {table.rows[int(row)][0]}, {table.columns[int(column)]}"
    pks = evaluation.enrolment_pks(built.enrolments)
    quotes_allowed = all(
        permissions.can_view_free_text(request.user, s)
        or permissions.can_code_qual(request.user, s)
        for s in scope.sites
    )
    _audit(request, scope, "evaluation.behind", {"key": key, "filters": built.filters.query()})
    response = render(
        request,
        "balm/evaluation_behind.html",
        {
            "scope": scope,
            "key": key,
            "what": what,
            "back": f"{scope.url()}?{urlencode(built.filters.query())}",
            "people": [(e, pks.get(e)) for e in behind.enrolments],
            "quotes": behind.quotes if quotes_allowed else (),
            "quotes_hidden": bool(behind.quotes) and not quotes_allowed,
        },
    )
    response["Cache-Control"] = "no-store"
    return response
