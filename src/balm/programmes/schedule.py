"""Which instruments a programme's measurement schedule may name: the instrument catalogue.

Pure (no Django models), so the YAML loader, the models' ``clean()``, the admin and the
actions all check schedule entries the same way, and a typo such as ``phq-9`` is refused where
it is typed instead of surfacing only when a participant is enrolled.
"""

from __future__ import annotations

import difflib


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
