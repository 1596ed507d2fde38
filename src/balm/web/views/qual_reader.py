"""The reader: a source shown by speaker turns, its codings in the margin (colour, coder), the
layer switch, coding and exploratory notes. Offsets are code points of the stored text; the
server checks every offset against it and refuses bad ones naming the problem."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from balm.web.views.qual_access import workspace_source


@login_required
def reader(request: HttpRequest, project_id: int, source_id: int) -> HttpResponse:
    ws, source = workspace_source(request, project_id, source_id)
    return render(request, "balm/qual/reader.html", ws.context(source=source))


def _not_yet(request: HttpRequest, project_id: int, *args: int) -> HttpResponse:
    raise Http404


coding_add = require_POST(login_required(_not_yet))
coding_remove = coding_resize = coding_restore = coding_add
note_add = note_delete = note_statement = coding_add
