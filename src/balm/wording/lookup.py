"""Which wording a site shows for an instrument, and whether its participants answer it online.

The one place pages, forms, e-mails and exports ask. The rules:

- A site's wording (its latest loaded version) gives the texts and labels of an instrument
  the catalogue ships without wording, for that site only; other sites never see it.
- An instrument is answered online when the catalogue ships its wording, or when the site has
  loaded its own wording and enabled the instrument for online answering. Any other scheduled
  instrument is entered by staff from paper, as before.
- An instrument whose printed order the catalogue could not confirm (``needs_variant``) is
  answered online only where the site has declared its form's order (``PrintedOrder``).
- A response is shown in the wording it was answered on (``Response.wording``); one answered
  without a site's wording is shown with the catalogue's.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from balm.instruments import Instrument, get_instrument
from balm.instruments.wording import apply_wording
from balm.wording.models import InstrumentWording, OnlineInstrument, PrintedOrder
from balm.wording.printed_order import declared_variant


def current_wording(site: Any, instrument: str | Instrument) -> InstrumentWording | None:
    """The site's latest wording version of ``instrument`` (an id or the catalogue entry), or
    None. An instrument whose wording the catalogue ships has none (no query is made)."""
    if isinstance(instrument, str):
        instrument = get_instrument(instrument)
    if site is None or instrument.item_text_included:
        return None
    return (
        InstrumentWording.objects.filter(site=site, instrument_id=instrument.id)
        .order_by("-version")
        .first()
    )


def with_wording(instrument_id: str, wording: InstrumentWording | None) -> Instrument:
    """The catalogue entry, with ``wording`` in place when there is one."""
    instrument = get_instrument(instrument_id)
    return instrument if wording is None else apply_wording(instrument, wording.as_wording())


def in_printed_order(instrument: Instrument, variant: str | None) -> Instrument:
    """``instrument`` with each printed question's concept (shown where balm has no wording)
    taken from the catalogue item that ``variant`` puts there, so a page never labels printed
    question 2 with another item's concept. Unchanged without a variant."""
    if not variant:
        return instrument
    mapping = instrument.variant_mapping(variant)
    concepts = {item.id: item.concept for item in instrument.items}
    items = tuple(
        item.model_copy(update={"concept": concepts[mapping[item.id]]}) for item in instrument.items
    )
    return instrument.model_copy(update={"items": items})


def site_instrument(site: Any, instrument_id: str) -> Instrument:
    """The instrument as ``site`` shows it: the catalogue entry with the site's wording, its
    concepts in the site's declared printed order (see :func:`in_printed_order`)."""
    shown = with_wording(instrument_id, current_wording(site, instrument_id))
    return in_printed_order(shown, declared_variant(site, shown))


def response_instrument(response: Any) -> Instrument:
    """The instrument in the wording and printed order ``response`` was answered on."""
    if response.wording_id is None:
        shown = get_instrument(response.instrument_id)
    else:
        shown = with_wording(response.instrument_id, response.wording)
    return in_printed_order(shown, response.variant)


def online_instrument_ids(site: Any) -> set[str]:
    """Instruments that ``site``'s participants may answer online (by the rules above)."""
    from balm.instruments import catalogue

    shipped = {key for key, instrument in catalogue().items() if instrument.item_text_included}
    enabled = set(
        OnlineInstrument.objects.filter(
            site=site,
            instrument_id__in=InstrumentWording.objects.filter(site=site).values("instrument_id"),
        ).values_list("instrument_id", flat=True)
    )
    undeclared = {key for key in enabled if get_instrument(key).needs_variant} - set(
        PrintedOrder.objects.filter(site=site).values_list("instrument_id", flat=True)
    )
    return shipped | (enabled - undeclared)


def answerable_online(site: Any, instrument: str | Instrument) -> bool:
    """May ``site``'s participants answer ``instrument`` (an id or the catalogue entry) online?
    No query for an instrument whose wording the catalogue ships."""
    if isinstance(instrument, str):
        instrument = get_instrument(instrument)
    if instrument.item_text_included:
        return True
    if instrument.needs_variant and declared_variant(site, instrument) is None:
        return False
    return OnlineInstrument.objects.filter(
        site=site,
        instrument_id=instrument.id,
        site__wordings__instrument_id=instrument.id,
    ).exists()


def online_filter() -> Q:
    """A filter on assessments: those answered online at their cohort's site (the rules above,
    in one query; enabling needs a loaded wording, and a loaded wording is never deleted; an
    instrument of unconfirmed printed order also needs the site's declaration)."""
    from balm.instruments import catalogue

    shipped = [key for key, instrument in catalogue().items() if instrument.item_text_included]
    ordered = [key for key, instrument in catalogue().items() if instrument.needs_variant]
    same = {"site": OuterRef("enrolment__cohort__site"), "instrument_id": OuterRef("instrument_id")}
    enabled = Q(Exists(OnlineInstrument.objects.filter(**same)))
    declared = Q(Exists(PrintedOrder.objects.filter(**same)))
    return Q(instrument_id__in=shipped) | (enabled & (~Q(instrument_id__in=ordered) | declared))
