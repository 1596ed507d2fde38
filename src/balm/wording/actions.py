"""Writes for licensed wording: load a version, enable or stop online answering, declare the
printed order of a form whose order the catalogue could not confirm.

Keyword-only arguments, an actor ``by`` (a User, or None for the system: the demo loader and
the management command), one transaction, an audit record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from balm.accounts import permissions
from balm.accounts.errors import InvalidInput, Problem
from balm.accounts.models import Site
from balm.audit.models import record
from balm.instruments import Instrument, UnknownInstrumentError, get_instrument
from balm.instruments.wording import WordingError, check_wording
from balm.wording.models import InstrumentWording, OnlineInstrument, PrintedOrder
from balm.wording.printed_order import undeclared_problems

MAX_LICENCE_FILE_BYTES = 5_000_000


def _require_site_admin(by: Any, site: Site) -> None:
    if by is not None:
        permissions.require(
            permissions.can_manage_site(by, site),
            "Only an administrator of this site loads its instrument wording.",
        )


def _instrument_problem(instrument_id: str) -> Problem | None:
    try:
        get_instrument(instrument_id)
    except UnknownInstrumentError as error:
        return Problem(
            "instrument",
            f"{instrument_id!r} is not in the catalogue. Allowed: {', '.join(error.known)}.",
        )
    return None


def load_wording(
    *,
    site: Site,
    instrument_id: str,
    data: Mapping[str, Any],
    by: Any,
    source_name: str = "",
    licence_file: bytes | None = None,
    licence_file_name: str = "",
    placeholder: bool = False,
    licence: Mapping[str, Any] | None = None,
    variant: str | None = None,
) -> InstrumentWording:
    """Check ``data`` (a wording file's content) against the catalogue and store it as the
    site's next wording version of ``instrument_id``. Every problem is raised at once as
    :class:`InvalidInput` (field = where in the file); nothing is written then.

    The licence record comes from the file's ``licence`` section or from ``licence`` (the
    admin form, the command's options), not both. For an instrument whose printed order the
    catalogue could not confirm (``needs_variant``), ``variant`` declares the order of the form
    the wording comes from (see :func:`declare_printed_order`); without it the site must have
    declared one already. The wording's q1, q2 ... are the form's printed questions in turn."""
    _require_site_admin(by, site)
    unknown = _instrument_problem(instrument_id)
    if unknown:
        raise InvalidInput([unknown])
    instrument = get_instrument(instrument_id)
    problems: list[Problem] = []
    if instrument.item_text_included:
        raise InvalidInput(
            [
                Problem(
                    "instrument",
                    f"balm ships the wording of {instrument.short_name}; a site loads its own "
                    "wording only for an instrument balm ships without it.",
                )
            ]
        )
    if variant is not None:
        problems.extend(_variant_problems(instrument, variant))
    elif instrument.needs_variant:
        problems.extend(undeclared_problems(site, [instrument_id], field="variant"))
    if licence is not None:
        if data.get("licence"):
            problems.append(
                Problem("licence", "The licence is given in the file and beside it: give it once.")
            )
        data = {**data, "licence": dict(licence)}
    try:
        wording = check_wording(instrument, data, placeholder=placeholder)
    except WordingError as error:
        problems.extend(Problem(p.where, p.message) for p in error.problems)
        wording = None
    if licence_file is not None and len(licence_file) > MAX_LICENCE_FILE_BYTES:
        problems.append(Problem("licence_file", "The licence file is larger than 5 MB."))
    if problems or wording is None or wording.licence is None:
        raise InvalidInput(problems or [Problem("licence", "Record the licence.")])
    with transaction.atomic():
        # Lock the site row so two loads at once cannot take the same version number.
        Site.objects.select_for_update().filter(pk=site.pk).values_list("pk", flat=True).get()
        if variant is not None:
            _write_printed_order(site=site, instrument_id=instrument_id, variant=variant, by=by)
        latest = InstrumentWording.objects.filter(site=site, instrument_id=instrument_id).aggregate(
            latest=Max("version")
        )["latest"]
        row = InstrumentWording.objects.create(
            site=site,
            instrument_id=instrument_id,
            version=(latest or 0) + 1,
            catalogue_version=instrument.version,
            wording=wording.as_data(),
            placeholder=placeholder,
            licence_granted_by=wording.licence.granted_by,
            licence_granted_on=wording.licence.granted_on,
            licence_use=wording.licence.use,
            licence_file=licence_file,
            licence_file_name=licence_file_name[:200] if licence_file is not None else "",
            source_name=source_name[:200],
            loaded_by=by,
        )
        record(
            "wording.load",
            by=by,
            obj=row,
            site=site,
            details={
                "instrument": instrument_id,
                "version": row.version,
                "placeholder": placeholder,
                "source": source_name,
                "licence_granted_by": row.licence_granted_by,
                "licence_file": bool(licence_file),
            },
        )
    return row


def enable_online(*, site: Site, instrument_id: str, by: Any) -> OnlineInstrument:
    """Let the site's participants answer ``instrument_id`` online; it needs the site's own
    wording first (an instrument whose wording the catalogue ships is online already)."""
    _require_site_admin(by, site)
    unknown = _instrument_problem(instrument_id)
    if unknown:
        raise InvalidInput([unknown])
    with transaction.atomic():
        problems = undeclared_problems(site, [instrument_id])
        if not InstrumentWording.objects.filter(site=site, instrument_id=instrument_id).exists():
            problems.insert(
                0,
                Problem("instrument", f"Load {instrument_id}'s licensed wording for {site} first."),
            )
        if problems:
            raise InvalidInput(problems)
        row, created = OnlineInstrument.objects.get_or_create(
            site=site, instrument_id=instrument_id, defaults={"enabled_by": by}
        )
        if created:
            record(
                "wording.online_enable",
                by=by,
                obj=row,
                site=site,
                details={"instrument": instrument_id},
            )
    return row


def disable_online(*, site: Site, instrument_id: str, by: Any) -> bool:
    """Stop online answering of ``instrument_id`` at ``site`` (paper entry only again).
    Answers already given stay. Returns whether it was enabled."""
    _require_site_admin(by, site)
    with transaction.atomic():
        row = OnlineInstrument.objects.filter(site=site, instrument_id=instrument_id).first()
        if row is None:
            return False
        record(
            "wording.online_disable",
            by=by,
            obj=row,
            site=site,
            details={"instrument": instrument_id},
        )
        row.delete()
    return True


def declare_printed_order(*, site: Site, instrument_id: str, variant: str, by: Any) -> PrintedOrder:
    """Record which printed order (a catalogue variant) ``site``'s form of ``instrument_id``
    uses; administrators of the site only. Declaring again with another variant changes it
    for answers recorded from then on (each response keeps the variant it was scored with).
    Refused, naming the allowed variants, for an unknown variant or an instrument that needs
    none."""
    _require_site_admin(by, site)
    unknown = _instrument_problem(instrument_id)
    if unknown:
        raise InvalidInput([unknown])
    instrument = get_instrument(instrument_id)
    problems = _variant_problems(instrument, variant)
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        return _write_printed_order(site=site, instrument_id=instrument_id, variant=variant, by=by)


def _variant_problems(instrument: Instrument, variant: str) -> list[Problem]:
    if not instrument.needs_variant:
        return [
            Problem(
                "variant", f"{instrument.short_name} has one confirmed order; nothing to declare."
            )
        ]
    if variant not in instrument.variants:
        allowed = ", ".join(sorted(instrument.variants))
        return [
            Problem(
                "variant",
                f"{variant!r} is not a printed order of {instrument.short_name}. "
                f"Allowed: {allowed}.",
            )
        ]
    return []


def _write_printed_order(*, site: Site, instrument_id: str, variant: str, by: Any) -> PrintedOrder:
    """Inside the caller's transaction: the declaration, audited when it changes."""
    row = PrintedOrder.objects.select_for_update().filter(site=site, instrument_id=instrument_id)
    found = row.first()
    before = found.variant if found is not None else None
    if found is not None and before == variant:
        return found  # the same declaration again: nothing to write
    declared = found or PrintedOrder(site=site, instrument_id=instrument_id)
    declared.variant, declared.declared_by, declared.declared_at = variant, by, timezone.now()
    declared.save()
    record(
        "wording.printed_order",
        by=by,
        obj=declared,
        site=site,
        details={"instrument": instrument_id, "variant": variant, "before": before},
    )
    return declared
