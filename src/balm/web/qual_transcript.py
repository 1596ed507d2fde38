"""A source's text as HTML for the reader: blocks (speaker turns, else lines), each cut into
segments at every coding boundary, so the page can show what is coded and the reader's script
can turn a selection back into offsets.

Each segment is ``<span class="seg" data-o="OFFSET">`` (or ``<mark>`` when coded) holding
exactly ``text[OFFSET:next]``, escaped; offsets count code points of the stored text. Built with
plain string joins (a 15,000-word transcript with hundreds of codings has thousands of
segments; a template loop would be the slowest part of the page). Text is escaped with the
standard library's ``html.escape``, which Django's ``escape`` calls too, without its lazy-string
wrapper (measurable at thousands of segments).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from balm.qual.project import Turn


@dataclass(frozen=True)
class Span:
    """A coding as the reader needs it."""

    id: int
    start: int
    end: int
    code_id: int


@dataclass
class Block:
    index: int
    start: int
    end: int
    speaker: str | None
    html: SafeString
    codings: list[str] = field(default_factory=list)
    """The margin's items (HTML) for the codings that start in this block."""
    notes: list[Any] = field(default_factory=list)
    """Notes anchored in this block (few: the template renders them)."""

    @property
    def codings_html(self) -> SafeString:
        return mark_safe("".join(self.codings))

    @property
    def attributes(self) -> SafeString:
        """The turn's id and offsets as HTML attributes (numbers written here rather than by
        the template, whose number formatting costs more than the rest of a turn)."""
        return mark_safe(f'id="turn-{self.index}" data-start="{self.start}" data-end="{self.end}"')


def blocks_of(text: str, turns: Sequence[Turn]) -> list[tuple[int, int, str | None]]:
    """The speaker turns, or each non-empty line when the source has none; text between turns
    (blank lines) belongs to no block."""
    if turns:
        return [(t.start, t.end, t.speaker) for t in sorted(turns, key=lambda t: t.start)]
    found, at = [], 0
    for line in text.split("\n"):
        if line.strip():
            found.append((at, at + len(line), None))
        at += len(line) + 1
    return found


def render(
    text: str,
    turns: Sequence[Turn],
    codings: Iterable[Span],
    *,
    differ: Sequence[tuple[int, int]] = (),
) -> list[Block]:
    """The blocks of ``text`` with their HTML; ``differ`` marks spans where two coders differ."""
    spans = sorted(codings, key=lambda s: (s.start, s.end))
    starts = [s.start for s in spans]
    longest = max((s.end - s.start for s in spans), default=0)
    blocks = []
    for index, (b_start, b_end, speaker) in enumerate(blocks_of(text, turns)):
        # codings overlapping the block: those starting before its end and ending after its start
        lo = bisect.bisect_left(starts, b_start - longest)
        hi = bisect.bisect_left(starts, b_end)
        inside = [s for s in spans[lo:hi] if s.end > b_start]
        marks = {b_start, b_end}
        for s in inside:
            marks.add(max(s.start, b_start))
            marks.add(min(s.end, b_end))
        odd = [(a, b) for a, b in differ if a < b_end and b > b_start]
        for a, b in odd:
            marks.add(max(a, b_start))
            marks.add(min(b, b_end))
        cuts = sorted(marks)
        parts = []
        for a, b in itertools.pairwise(cuts):
            covering = [s for s in inside if s.start <= a and s.end >= b]
            piece = escape(text[a:b])
            different = any(x <= a and y >= b for x, y in odd)
            if covering:
                codes = " ".join(str(s.code_id) for s in covering)
                ids = " ".join(str(s.id) for s in covering)
                extra = " differ" if different else ""
                parts.append(
                    f'<mark class="seg code-{covering[0].code_id}{extra}" data-o="{a}" '
                    f'data-codes="{codes}" data-codings="{ids}">{piece}</mark>'
                )
            elif different:
                parts.append(f'<span class="seg differ" data-o="{a}">{piece}</span>')
            else:
                parts.append(f'<span class="seg" data-o="{a}">{piece}</span>')
        blocks.append(Block(index, b_start, b_end, speaker, mark_safe("".join(parts))))
    return blocks


def block_at(starts: Sequence[int], offset: int) -> int:
    """The index of the block holding ``offset`` (the nearest before it between blocks), given
    the blocks' ``starts`` in order."""
    i = bisect.bisect_right(starts, offset) - 1
    return max(i, 0)


def differences(
    a: Iterable[tuple[int, int, int]], b: Iterable[tuple[int, int, int]]
) -> list[tuple[int, int]]:
    """Spans where two coders' codes differ: for each code, the characters one coded and the
    other did not, merged. Items are ``(start, end, code_id)``."""
    by_code: dict[int, tuple[list[tuple[int, int]], list[tuple[int, int]]]] = {}
    for side, items in enumerate((a, b)):
        for start, end, code in items:
            by_code.setdefault(code, ([], []))[side].append((start, end))
    out: list[tuple[int, int]] = []
    for first, second in by_code.values():
        out += _symmetric_difference(_merge(first), _merge(second))
    return _merge(out)


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _symmetric_difference(
    a: list[tuple[int, int]], b: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    edges = sorted({p for s in a + b for p in s})
    out = []
    for x, y in itertools.pairwise(edges):
        in_a = any(s <= x and e >= y for s, e in a)
        in_b = any(s <= x and e >= y for s, e in b)
        if in_a != in_b:
            out.append((x, y))
    return _merge(out)


def coding_item(
    *,
    coding_id: int,
    start: int,
    end: int,
    code_id: int,
    code_name: str,
    coder: str,
    quote: str,
    resize_url: str,
    remove_url: str,
) -> str:
    """One coding in the margin: its colour, code and coder, and its buttons (the page's
    script acts on them), each named for a screen reader."""
    name, who = escape(code_name), escape(coder)
    label = f"{name} by {who}"
    return (
        f'<li class="margin-coding" data-coding="{coding_id}" data-start="{start}" '
        f'data-end="{end}"><span class="swatch code-{code_id}" aria-hidden="true"></span> '
        f'<span class="code-name">{name}</span> <span class="muted">{who}</span>'
        f'<span class="visually-hidden"> on “{escape(quote)}”</span> '
        '<span class="margin-actions">'
        '<button type="button" class="link-button" data-act="show">Show'
        f'<span class="visually-hidden"> {label}</span></button> '
        f'<button type="button" class="link-button" data-act="resize" data-url="{resize_url}">'
        f'Fit to selection<span class="visually-hidden"> ({label})</span></button> '
        f'<button type="button" class="link-button" data-act="remove" data-url="{remove_url}">'
        f'Remove<span class="visually-hidden"> {label}</span></button></span></li>'
    )
