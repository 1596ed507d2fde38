"""Wording files for the wording tests (synthetic texts, never an instrument's real wording).

PDI's structure, from its catalogue entry (pdi.yaml, after Pollard 1984): seven items q1..q7
sharing the response set ``disability`` with the eleven weights 0..10 in that printed order.
"""

from __future__ import annotations

from typing import Any

LICENCE = {
    "granted_by": "Synthetic licensor Ltd",
    "granted_on": "2026-02-01",
    "use": "routine care",
}


def pdi_data(tag: str = "v1", **licence: str) -> dict[str, Any]:
    return {
        "instrument": "pdi",
        "instructions": f"Synthetic PDI instructions {tag}.",
        "licence": {**LICENCE, **licence},
        "items": {f"q{n}": f"Synthetic life area {n} ({tag})" for n in range(1, 8)},
        "response_sets": {
            "disability": [{"value": w, "label": f"{tag} level {w}"} for w in range(11)]
        },
    }


def pdi_yaml(tag: str = "v1") -> str:
    lines = [
        "instrument: pdi",
        f"instructions: Synthetic PDI instructions {tag}.",
        "licence: {granted_by: Synthetic licensor Ltd, granted_on: 2026-02-01, use: routine care}",
        "items:",
    ]
    lines += [f"  q{n}: Synthetic life area {n} ({tag})" for n in range(1, 8)]
    lines += ["response_sets:", "  disability:"]
    lines += [f"    - {{value: {w}, label: {tag} level {w}}}" for w in range(11)]
    return "\n".join(lines) + "\n"


def broken_pdi_yaml() -> str:
    """q3 missing, q9 extra, the labels printed 10..0 instead of 0..10."""
    lines = [
        "instrument: pdi",
        "licence: {granted_by: Synthetic licensor Ltd, granted_on: 2026-02-01, use: routine care}",
        "items:",
    ]
    lines += [f"  q{n}: Synthetic life area {n}" for n in (1, 2, 4, 5, 6, 7, 9)]
    lines += ["response_sets:", "  disability:"]
    lines += [f"    - {{value: {w}, label: level {w}}}" for w in range(10, -1, -1)]
    return "\n".join(lines) + "\n"
