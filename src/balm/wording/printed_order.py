"""Which printed order (catalogue ``variant``) a site's form of an instrument uses, and the
one message that refuses an instrument whose order the site has not declared.

Asked by scheduling (cohort creation, enrolment), online answering, paper entry, the API and
amendments; written only by :func:`balm.wording.actions.declare_printed_order`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from balm.accounts.errors import Problem
from balm.instruments import Instrument, UnknownInstrumentError, get_instrument
from balm.wording.models import PrintedOrder


def _instrument(instrument: str | Instrument) -> Instrument:
    return get_instrument(instrument) if isinstance(instrument, str) else instrument


def allowed_variants(instrument: str | Instrument) -> str:
    """The variant names of ``instrument``, for a message."""
    return ", ".join(sorted(_instrument(instrument).variants))


def declared_variant(site: Any, instrument: str | Instrument) -> str | None:
    """The variant ``site`` declared for ``instrument``; None when it has not declared one
    or the instrument needs none (no query then)."""
    instrument = _instrument(instrument)
    if site is None or not instrument.needs_variant:
        return None
    return (
        PrintedOrder.objects.filter(site=site, instrument_id=instrument.id)
        .values_list("variant", flat=True)
        .first()
    )


def undeclared_message(site: Any, instrument: str | Instrument) -> str:
    instrument = _instrument(instrument)
    return (
        f"{instrument.short_name}: the order of its printed questions is not confirmed, so "
        f"{site} must first declare which printed order its form uses (allowed: "
        f"{allowed_variants(instrument)}; see docs/instruments.md). A site administrator "
        "declares it in the admin under Printed orders."
    )


def undeclared_problems(
    site: Any, instrument_ids: Iterable[str], *, field: str = "instrument"
) -> list[Problem]:
    """One problem per instrument of ``instrument_ids`` that needs a printed order ``site``
    has not declared (each named once, in the order given)."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for instrument_id in instrument_ids:
        if instrument_id in seen:
            continue
        seen.add(instrument_id)
        try:
            instrument = get_instrument(instrument_id)
        except UnknownInstrumentError:
            continue  # unknown instruments are reported by their own checks
        if instrument.needs_variant and declared_variant(site, instrument) is None:
            problems.append(Problem(field, undeclared_message(site, instrument)))
    return problems
