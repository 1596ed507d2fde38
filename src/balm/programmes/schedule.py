"""Which instruments a programme template may name: its measurement schedule and its weekly
check-in, both from the instrument catalogue.

Pure (no Django models), so the YAML loader, the models' ``clean()``, the admin and the
actions all check a template the same way, and a typo such as ``phq-9`` is refused where it is
typed instead of surfacing only when a participant is enrolled or opens the check-in.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from balm.instruments.schema import Instrument

NO_CHECKIN = "or leave it blank for no weekly check-in"


def allowed_instrument_ids() -> list[str]:
    """Every instrument id in the catalogue, sorted."""
    from balm.instruments.catalogue import catalogue

    return sorted(catalogue())


def unknown_instrument(instrument_id: object) -> str | None:
    """``None`` when ``instrument_id`` names a catalogue instrument, else a message that says
    what is wrong, suggests a close match and lists the allowed ids."""
    allowed = allowed_instrument_ids()
    if isinstance(instrument_id, str) and instrument_id in allowed:
        return None
    shown = str(instrument_id).strip() if instrument_id is not None else ""
    if not shown:
        return f"Give an instrument id. Allowed: {', '.join(allowed)}."
    close = difflib.get_close_matches(shown.lower(), allowed, n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"{shown!r} is not in the instrument catalogue.{hint} Allowed: {', '.join(allowed)}."


# --- the weekly check-in ----------------------------------------------------------------------
#
# The catalogue's schema has no "kind" of instrument, so what makes an instrument a check-in is
# what the weekly check-in can do with it: the check-in page shows each item's wording and asks
# numbers (a 0-10 row of buttons, or a number box) and free text, never a list of options; and
# a check-in raises no safety alert (only questionnaires do). Today only ``checkin`` fits.


def checkin_unfit_reasons(instrument: Instrument) -> list[str]:
    """Why ``instrument`` cannot be a programme's weekly check-in (empty when it can)."""
    from balm.instruments.schema import ItemKind

    reasons = []
    if not instrument.item_text_included:
        reasons.append(
            "balm does not hold its item wording, so participants cannot answer it online"
        )
    choice = [item.id for item in instrument.items if item.kind is ItemKind.CHOICE]
    if choice:
        reasons.append(
            "it asks for a choice from a list of options, and the check-in asks only numbers "
            "and free text"
        )
    safety = [item.id for item in instrument.items if item.safety]
    if safety:
        reasons.append(
            f"it has a safety item ({', '.join(safety)}), and a check-in raises no safety alert"
        )
    return reasons


def checkin_instrument_ids() -> list[str]:
    """The catalogue instruments a template's weekly check-in may be, sorted."""
    from balm.instruments.catalogue import catalogue

    return sorted(
        instrument_id
        for instrument_id, instrument in catalogue().items()
        if not checkin_unfit_reasons(instrument)
    )


def unfit_checkin(instrument_id: object) -> str | None:
    """``None`` when ``instrument_id`` is blank (the programme has no weekly check-in) or names
    a check-in instrument of the catalogue, else a message that says what is wrong, suggests a
    close match and lists the allowed ids."""
    from balm.instruments.catalogue import catalogue

    if instrument_id is None or instrument_id == "":
        return None
    allowed = checkin_instrument_ids()
    if isinstance(instrument_id, str) and instrument_id in allowed:
        return None
    choices = f"Allowed: {', '.join(allowed)} ({NO_CHECKIN})."
    if not isinstance(instrument_id, str):
        return f"{instrument_id!r} is not an instrument id. {choices}"
    if not instrument_id.strip():
        return f"Give an instrument id. {choices}"
    instrument = catalogue().get(instrument_id)
    if instrument is not None:
        reasons = "; ".join(checkin_unfit_reasons(instrument))
        return f"{instrument_id!r} cannot be the weekly check-in: {reasons}. {choices}"
    close = difflib.get_close_matches(instrument_id.strip().lower(), allowed, n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"{instrument_id!r} is not in the instrument catalogue.{hint} {choices}"
