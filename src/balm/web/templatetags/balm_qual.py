"""Template helpers of the qualitative workspace."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag
def url_if_exists(name: str, *args: object) -> str:
    """The URL named ``name`` with ``args``, or ``""`` when no such URL is configured (a page
    another part of the workspace adds: the nav links it only once it exists)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""
