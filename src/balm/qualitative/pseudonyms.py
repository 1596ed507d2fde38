"""Pseudonymisation on the way in, with the names balm already knows and the site's map.

Names known to balm: the participant (replaced by their pseudonym, the case name), the other
participants of the site (``[participant A]``...) and the site's staff (``[staff 1]``...), each
by the full name balm holds. Other forms (a given name alone, a nickname, family, places) are
given as extra terms. The map original -> pseudonym is kept per site in
:class:`~balm.qualitative.models.PseudonymEntry`, so a name keeps its pseudonym across sources.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from balm.accounts.models import Membership, Participant, Site
from balm.qual.project import Turn
from balm.qual.pseudonymise import NameLists, PseudonymisedText, PseudonymMap, pseudonymise
from balm.qualitative.models import PseudonymEntry

_OTHER = re.compile(r"\[participant [A-Z]+\]")
_STAFF = re.compile(r"\[staff \d+\]")


def site_map(site: Site) -> PseudonymMap:
    """The site's map, with the counters that number new pseudonyms after the existing ones."""
    entries = dict(PseudonymEntry.objects.filter(site=site).values_list("original", "replacement"))
    values = set(entries.values())
    others = sum(1 for v in values if _OTHER.fullmatch(v))
    staff = sum(1 for v in values if _STAFF.fullmatch(v))
    return PseudonymMap(entries, others, staff)


def save_map(site: Site, mapping: PseudonymMap, before: set[str]) -> int:
    """Store the entries of ``mapping`` not in ``before``; returns how many."""
    new = [
        PseudonymEntry(site=site, original=original, replacement=replacement)
        for original, replacement in mapping.entries.items()
        if original not in before
    ]
    PseudonymEntry.objects.bulk_create(new)
    return len(new)


def known_names(
    site: Site,
    participant: Participant | None,
    terms: Iterable[tuple[str, str]] = (),
    extra: NameLists | None = None,
) -> NameLists:
    """The name lists for a source of ``participant`` (or of no one) at ``site``, with the
    other people and terms of ``extra`` (a name list such as ``balm qual add --names`` reads)
    added."""
    extra = extra or NameLists()
    others = tuple(
        name
        for pk, name in Participant.objects.filter(site=site).values_list("pk", "name")
        if name.strip() and (participant is None or pk != participant.pk)
    )
    staff = tuple(
        sorted(
            {
                m.user.get_full_name()
                for m in Membership.objects.filter(site=site).select_related("user")
                if m.user.get_full_name().strip()
            }
        )
    )
    own = (participant.name,) if participant is not None and participant.name.strip() else ()
    return NameLists(
        participant=own,
        participant_label=participant.pseudonym if participant is not None else None,
        others=others + extra.others,
        staff=staff + extra.staff,
        terms=tuple(terms) + extra.terms,
    )


@dataclass(frozen=True)
class CleanSource:
    """A source's name, text and turns after pseudonymisation, and how spans moved."""

    name: str
    result: PseudonymisedText
    turns: tuple[Turn, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.result.map_span(start, end)


def clean_source(
    name: str, text: str, turns: Iterable[Turn], names: NameLists, mapping: PseudonymMap
) -> CleanSource:
    """Pseudonymise a source's name, text and speaker names; carry the turns' offsets."""
    result = pseudonymise(text, names, mapping)
    speakers: dict[str, str] = {}
    moved = []
    for turn in turns:
        speaker = turn.speaker
        if speaker is not None:
            if speaker not in speakers:
                speakers[speaker] = pseudonymise(speaker, names, mapping).text
            speaker = speakers[speaker]
        start, end = result.map_span(turn.start, turn.end)
        moved.append(Turn(start, end, speaker, turn.begin_ms, turn.end_ms))
    # File names often carry a name ("sarah_jones.docx"); the name is kept as it was unless a
    # replacement is needed.
    spaced = pseudonymise(name.replace("_", " "), names, mapping)
    clean_name = spaced.text if spaced.replacements else name
    return CleanSource(clean_name, result, tuple(moved))


def preview_source(
    site: Site,
    participant: Participant | None,
    name: str,
    text: str,
    turns: Iterable[Turn],
    terms: Iterable[tuple[str, str]] = (),
) -> CleanSource:
    """What :func:`balm.qualitative.actions.add_source` would store, for a person to review
    first: the same names and the site's map, with nothing saved (new names get the
    pseudonyms they would get if the source were kept now)."""
    return clean_source(name, text, turns, known_names(site, participant, terms), site_map(site))
