"""Template filters for text that staff type (e.g. a site's crisis contacts)."""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# A telephone number as people write one: three or more digits, perhaps with a leading + and
# single spaces ("999", "116 123", "0800 123 4567", "+44 20 7946 0000"), standing alone.
PHONE = re.compile(r"(?<![\w+])(\+?\d(?:\s?\d){2,14})(?![\w])")


@register.filter(needs_autoescape=False)
def tap_to_call(text: str) -> SafeString:
    """Escape ``text``, make paragraphs of its lines and each telephone number a ``tel:`` link
    (tap to call on a phone)."""

    def link(match: re.Match[str]) -> str:
        number = match.group(1)
        digits = re.sub(r"\s", "", number)
        return f'<a href="tel:{digits}">{number}</a>'

    return mark_safe(linebreaks(PHONE.sub(link, escape(text or ""))))


@register.filter
def instrument_name(instrument_id: str) -> str:
    """A catalogue id as its short name (``phq9`` -> ``PHQ-9``); the id if it has gone."""
    from balm.instruments import UnknownInstrumentError, get_instrument

    try:
        return get_instrument(instrument_id).short_name
    except UnknownInstrumentError:
        return instrument_id
