"""Where two coders differ, passage by passage, for a person to settle.

For each source and code, the codings of both coders are joined into runs: a run is a maximal
stretch of text covered by either coder's codings of that code, where codings that overlap
(share at least one character) belong to the same run; codings that only touch stay apart.
A run is a disagreement when the two coders do not cover exactly the same characters in it:
one coded it and the other did not, or both coded it with different boundaries. This is the
character unit of :mod:`balm.qual.agreement` seen as passages: the characters counted as
disagreements there are exactly the characters of these runs where one coder's coverage
differs from the other's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

Span = tuple[int, int]


@dataclass(frozen=True)
class Disagreement:
    """One run of ``code`` in ``source`` where the coders differ, with each coder's spans in it
    (merged: overlapping codings of one coder count once)."""

    source: str
    code: str
    start: int
    end: int
    first: tuple[Span, ...]
    second: tuple[Span, ...]

    @property
    def key(self) -> tuple[str, str, int, int]:
        return (self.source, self.code, self.start, self.end)


def _union(spans: Iterable[Span], *, touching: bool = False) -> list[Span]:
    """Overlapping spans joined (and spans that only touch, when ``touching``)."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and (start < merged[-1][1] or (touching and start == merged[-1][1])):
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def disagreements(
    codings: Iterable[tuple[str, str, str, int, int]], first: str, second: str
) -> list[Disagreement]:
    """The disagreements between coders ``first`` and ``second``.

    ``codings`` holds ``(source, code, coder, start, end)``; other coders are ignored. Returns
    the runs where the coders' coverage differs (see the module docstring), ordered by source,
    start and code, in the order sources and codes are first met.
    """
    spans: dict[tuple[str, str], dict[str, list[Span]]] = defaultdict(
        lambda: {first: [], second: []}
    )
    for source, code, coder, start, end in codings:
        if coder in (first, second):
            spans[(source, code)][coder].append((start, end))
    source_order: dict[str, int] = {}
    for source, _code in spans:
        source_order.setdefault(source, len(source_order))
    out: list[Disagreement] = []
    for (source, code), by in spans.items():
        mine, theirs = _union(by[first]), _union(by[second])
        for start, end in _union(mine + theirs):
            a = tuple(s for s in mine if start <= s[0] and s[1] <= end)
            b = tuple(s for s in theirs if start <= s[0] and s[1] <= end)
            # Coverage is compared, not spans: [0, 5) + [5, 10) covers what [0, 10) covers.
            if _union(a, touching=True) != _union(b, touching=True):
                out.append(Disagreement(source, code, start, end, a, b))
    out.sort(key=lambda d: (source_order[d.source], d.start, d.code))
    return out
