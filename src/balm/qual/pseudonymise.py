"""Pseudonymisation at import: names, listed terms and identifier patterns, offline.

What is replaced:

- names given in lists: the participant (by the case label, e.g. ``P03``, else
  ``[participant]``), other participants (``[participant A]``, ``[participant B]``...) and
  staff (``[staff 1]``, ``[staff 2]``...); the same name gets the same pseudonym everywhere in
  a project because the :class:`PseudonymMap` is kept per project;
- a per-project list of extra terms (places, employers, family names), each replaced by its
  tag (``[place]``, ``[employer]``...; ``[redacted]`` when no tag is given);
- patterns: e-mail addresses ``[email]``; UK telephone numbers ``[phone]`` (0 or +44, 10 or
  11 digits in all); NHS numbers ``[NHS number]`` (ten digits whose check digit is valid
  under the modulus 11 algorithm of the NHS Data Dictionary, "NHS Number": weights 10..2 on
  the first nine digits, check = 11 - (sum mod 11), 11 -> 0, 10 -> invalid number); dates,
  including dates of birth (``12/03/1961``, ``1961-03-12``, ``12th March 1961``,
  ``March 12, 1961``) ``[date]``; UK postcodes ``[postcode]``.

Names and terms match whole words, case-insensitively, longest first; where matches
overlap, the one that starts first (then the longer) wins. No match spans a line break, so
speaker turns, which start and end at line breaks, keep their boundaries.

The result is the new text and a report of every replacement with its position in the old
and the new text, for a person to review. The mapping from names to pseudonyms lives in the
:class:`PseudonymMap`, apart from the text: it is never written into a ``.qdpx``.
"""

from __future__ import annotations

import bisect
import json
import re
import string
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Final

from balm.qual.errors import QualInputError

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\.?"
_DAY = r"(?:[0-2]?\d|3[01])(?:st|nd|rd|th)?"
# Each pattern starts with a plain character class and checks the character before it with a
# lookbehind after that first character: the regex engine can then skip quickly to candidate
# characters (a pattern that starts with a lookbehind is tried at every position).
_NUMERIC_DATE = re.compile(
    r"\d(?<![\d/.-]\d)(?:\d?[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{3}-\d{1,2}-\d{1,2})(?![/-]?\d)"
)
_YEAR = re.compile(r"\d(?<=[ \t,]\d)\d{3}(?!\w)")
_DAY_MONTH_BEFORE_YEAR = re.compile(
    rf"(?:(?<!\w){_DAY}[ \t]+(?:of[ \t]+)?{_MONTH}|(?<!\w){_MONTH}[ \t]+{_DAY}),?[ \t]+$",
    re.IGNORECASE,
)


def _find(regex: re.Pattern[str]) -> Callable[[str], Iterator[tuple[int, int]]]:
    def find(text: str) -> Iterator[tuple[int, int]]:
        for match in regex.finditer(text):
            yield match.start(), match.end()

    return find


_EMAIL_DOMAIN = re.compile(r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_EMAIL_LOCAL = re.compile(r"[\w.%+-]")


def _emails(text: str) -> Iterator[tuple[int, int]]:
    """E-mail addresses, found from their ``@domain`` and extended left over the local part."""
    for domain in _EMAIL_DOMAIN.finditer(text):
        start = domain.start()
        while start > 0 and _EMAIL_LOCAL.match(text[start - 1]):
            start -= 1
        if start < domain.start():
            yield start, domain.end()


def _dates(text: str) -> Iterator[tuple[int, int]]:
    """Numeric dates, and "12th March 1961" / "March 12, 1961" found from their year
    backwards (a four-digit year is rare in speech; a month word is not: "may")."""
    yield from _find(_NUMERIC_DATE)(text)
    for year in _YEAR.finditer(text):
        before = _DAY_MONTH_BEFORE_YEAR.search(text, max(0, year.start() - 40), year.start())
        if before is not None:
            yield before.start(), year.end()


_INWARD_CODE = re.compile(r"\d[A-Za-z]{2}(?![A-Za-z0-9])")
_OUTWARD_CODE = re.compile(
    r"(?<![A-Za-z0-9])(?:GIR[ \t]?|[A-Z]{1,2}\d[A-Z\d]?[ \t]?)$", re.IGNORECASE
)


def _postcodes(text: str) -> Iterator[tuple[int, int]]:
    """UK postcodes (``LS1 4AP``, ``SW1A 1AA``, ``GIR 0AA``), found from the inward code
    (digit, two letters) and extended left over the outward code."""
    for inward in _INWARD_CODE.finditer(text):
        outward = _OUTWARD_CODE.search(text, max(0, inward.start() - 5), inward.start())
        if outward is not None:
            yield outward.start(), inward.end()


_PATTERNS: Final[tuple[tuple[str, str, Callable[[str], Iterator[tuple[int, int]]]], ...]] = (
    (
        "email",
        "[email]",
        _emails,
    ),
    (
        "nhs number",
        "[NHS number]",
        _find(re.compile(r"\d(?<!\d\d)\d{2}[ \t-]?\d{3}[ \t-]?\d{4}(?!\d)")),
    ),
    (
        "phone",
        "[phone]",
        _find(
            re.compile(
                r"[+(0](?<![\w+][+(0])(?:(?<=\+)44[ \t]?(?:\(0\)[ \t]?)?|(?<=\()0|(?<=0))"
                r"\d{2,4}\)?[ \t-]?\d{3,4}[ \t-]?\d{3,4}(?!\d)"
            )
        ),
    ),
    ("date", "[date]", _dates),
    ("postcode", "[postcode]", _postcodes),
)


def nhs_check_digit_valid(digits: str) -> bool:
    """True when ten digits form an NHS number with a valid modulus 11 check digit.

    NHS Data Dictionary, "NHS Number": multiply the first nine digits by 10, 9, ..., 2, sum,
    take the remainder mod 11; the check digit is 11 minus it (11 becomes 0; 10 means the
    number is not valid).
    """
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _uk_phone_digits_ok(match: str) -> bool:
    digits = re.sub(r"\D", "", match)
    if match.lstrip().startswith("+"):
        national = digits[2:].removeprefix("0")
        return len(national) in (9, 10)
    return digits.startswith("0") and len(digits) in (10, 11)


@dataclass(frozen=True, slots=True)
class NameLists:
    """Who and what to replace in one source."""

    participant: tuple[str, ...] = ()
    """Each entry one person; variants of a name separated by ``|`` (``Sarah Jones | Sarah``)."""
    participant_label: str | None = None
    """What the participant's names become, usually the case name (``P03``)."""
    others: tuple[str, ...] = ()
    staff: tuple[str, ...] = ()
    terms: tuple[tuple[str, str], ...] = ()
    """``(term, tag)`` pairs: ``("Leeds", "place")`` becomes ``[place]``."""


@dataclass(slots=True)
class PseudonymMap:
    """Original name -> pseudonym for one project. Keep it apart from the project file."""

    entries: dict[str, str] = field(default_factory=dict)
    others: int = 0
    staff: int = 0

    def pseudonym(self, original: str, group: str, label: str | None = None) -> str:
        """The stable pseudonym of ``original``; a new one if it was never seen."""
        key = _key(original)
        if key in self.entries:
            return self.entries[key]
        if group == "participant":
            value = label or "[participant]"
        elif group == "other participant":
            value = f"[participant {_letters(self.others)}]"
            self.others += 1
        elif group == "staff":
            self.staff += 1
            value = f"[staff {self.staff}]"
        else:
            value = f"[{group}]"
        self.entries[key] = value
        return value

    def to_json(self) -> str:
        return json.dumps(
            {"entries": self.entries, "others": self.others, "staff": self.staff},
            indent=2,
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> PseudonymMap:
        """Read a map written by :meth:`to_json`; a malformed one is a QualInputError."""
        try:
            data = json.loads(text)
            entries = {str(k): str(v) for k, v in dict(data["entries"]).items()}
            return cls(entries, int(data["others"]), int(data["staff"]))
        except (ValueError, KeyError, TypeError) as error:
            raise QualInputError([f"the pseudonym map is not readable ({error})"]) from error


def _key(name: str) -> str:
    return " ".join(name.split()).lower()


def _letters(n: int) -> str:
    letters = string.ascii_uppercase
    return letters[n] if n < 26 else _letters(n // 26 - 1) + letters[n % 26]


@dataclass(frozen=True, slots=True)
class Replacement:
    """One replacement: ``original`` at ``[start, end)`` of the old text became
    ``replacement`` at ``[new_start, new_end)`` of the new text."""

    kind: str
    original: str
    replacement: str
    start: int
    end: int
    new_start: int
    new_end: int


@dataclass(frozen=True, slots=True)
class PseudonymisedText:
    text: str
    replacements: tuple[Replacement, ...]

    def map_span(self, start: int, end: int) -> tuple[int, int]:
        """Where the old span ``[start, end)`` lies in the new text (a span that cuts a
        replacement grows to hold all of it)."""
        return self._map(start, at_end=False), self._map(end, at_end=True)

    def _map(self, position: int, *, at_end: bool) -> int:
        i = bisect.bisect_right(self.replacements, position, key=lambda r: r.end)
        # Replacements ending at or before ``position`` have all shifted it.
        shift = 0 if i == 0 else self.replacements[i - 1].new_end - self.replacements[i - 1].end
        if i < len(self.replacements):
            r = self.replacements[i]
            if r.start < position:
                return r.new_end if at_end else r.new_start
        return position + shift


def parse_name_list(text: str, *, where: str = "name list") -> NameLists:
    """Read a name list, one entry a line: ``participant: Name``, ``other: Name``,
    ``staff: Name``, ``TAG: term`` (e.g. ``place: Leeds``) or a bare term (``[redacted]``).
    A person's variants share a line, separated by ``|``: ``other: Tom Baker | Tom``.
    Blank lines and lines starting with ``#`` are skipped."""
    participant: list[str] = []
    others: list[str] = []
    staff: list[str] = []
    terms: list[tuple[str, str]] = []
    problems = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        tag, sep, value = line.partition(":")
        if not sep:
            tag, value = "redacted", line
        tag, value = tag.strip().lower(), value.strip()
        if not value:
            problems.append(f"{where}, line {number}: {tag!r} has no name or term after ':'")
        elif tag == "participant":
            participant.append(value)
        elif tag in ("other", "other participant"):
            others.append(value)
        elif tag == "staff":
            staff.append(value)
        else:
            terms.append((value, tag))
    if problems:
        raise QualInputError(problems)
    return NameLists(tuple(participant), None, tuple(others), tuple(staff), tuple(terms))


def _name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted({_key(n) for n in names if n.strip()}, key=len, reverse=True)
    if not words:
        return None
    alternatives = (r"[ \t]+".join(re.escape(w) for w in n.split(" ")) for n in words)
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


def _candidates(text: str, names: NameLists) -> Iterator[tuple[int, int, int, str, str, str]]:
    """(start, end, priority, kind, group, what) for every match of every detector: ``what``
    is the listed name (``group`` its list) or, for patterns, the tag (``group`` empty)."""
    groups: dict[str, tuple[str, str]] = {}
    for group, entries in (
        ("participant", names.participant),
        ("staff", names.staff),
        ("other participant", names.others),
    ):
        for entry in entries:
            # "Tom Baker | Tom | Mr Baker": variants of one person share one pseudonym.
            variants = [v for v in entry.split("|") if v.strip()]
            for variant in variants:
                groups.setdefault(_key(variant), (group, variants[0]))
    for term, tag in names.terms:
        groups.setdefault(_key(term), (tag or "redacted", term))
    pattern = _name_pattern(groups)
    if pattern is not None:
        for match in pattern.finditer(text):
            group, entry = groups[_key(match.group())]
            kind = group if group in ("participant", "staff", "other participant") else "term"
            yield match.start(), match.end(), 0, kind, group, entry
    for priority, (kind, tag, find) in enumerate(_PATTERNS, start=1):
        for start, end in find(text):
            found = text[start:end]
            if kind == "nhs number" and not nhs_check_digit_valid(re.sub(r"\D", "", found)):
                continue
            if kind == "phone" and not _uk_phone_digits_ok(found):
                continue
            yield start, end, priority, kind, "", tag


def pseudonymise(text: str, names: NameLists, mapping: PseudonymMap) -> PseudonymisedText:
    """Replace names, listed terms and identifiers in ``text``; report every replacement.

    ``mapping`` is updated with any new name, so the same name keeps its pseudonym in the
    project's later sources.
    """
    found = sorted(_candidates(text, names), key=lambda c: (c[0], c[0] - c[1], c[2]))
    parts: list[str] = []
    replacements: list[Replacement] = []
    position = 0
    new_position = 0
    for start, end, _, kind, group, what in found:
        if start < position:
            continue  # overlaps a replacement already made
        # A pseudonym is given only to a name that is replaced (so numbering has no gaps).
        value = mapping.pseudonym(what, group, names.participant_label) if group else what
        parts.append(text[position:start])
        new_start = new_position + (start - position)
        parts.append(value)
        replacements.append(
            Replacement(kind, text[start:end], value, start, end, new_start, new_start + len(value))
        )
        position, new_position = end, new_start + len(value)
    parts.append(text[position:])
    return PseudonymisedText("".join(parts), tuple(replacements))
