"""A site's FHIR Questionnaire of an instrument, in the site's own wording.

Staff of the site only (another site's wording is a 404, whoever asks): the licence is the
site's, so its wording goes only into its own export. Audited.
"""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from balm.accounts import permissions
from balm.accounts.models import Site
from balm.audit.models import record
from balm.instruments import UnknownInstrumentError, get_instrument
from balm.instruments.fhir import questionnaire_dict
from balm.wording.lookup import current_wording, in_printed_order
from balm.wording.printed_order import declared_variant


@login_required
@require_GET
def site_questionnaire(request: HttpRequest, site_id: int, instrument_id: str) -> HttpResponse:
    site = permissions.visible_sites(request.user).filter(pk=site_id).first()
    if site is None or not isinstance(site, Site):
        raise Http404("No such site.")
    try:
        instrument = get_instrument(instrument_id)
    except UnknownInstrumentError:
        raise Http404("No such instrument.") from None
    wording = current_wording(site, instrument)
    instrument = in_printed_order(instrument, declared_variant(site, instrument))
    base = request.build_absolute_uri(f"/fhir/sites/{site.pk}").rstrip("/")
    data = questionnaire_dict(
        instrument, base_url=base, wording=None if wording is None else wording.as_wording()
    )
    record(
        "export.fhir_questionnaire",
        by=request.user,
        obj=site,
        site=site,
        details={
            "instrument": instrument_id,
            "wording_version": None if wording is None else wording.version,
        },
    )
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False),
        content_type="application/fhir+json; charset=utf-8",
    )
    response["Cache-Control"] = "no-store"
    return response
