"""The one user-facing error of :mod:`balm.qual`: every problem with the input, at once.

A bad file, a coding outside its text or an unknown code is the user's to fix, so it is a
:class:`QualInputError` carrying every problem found; a bug in balm stays an ordinary
exception (``TypeError``, ``KeyError``...) and is never caught as if it were bad input.
"""

from __future__ import annotations

from collections.abc import Iterable


class QualInputError(ValueError):
    """Bad input for a qualitative project; ``problems`` lists every problem found."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        if not self.problems:
            raise TypeError("QualInputError needs at least one problem")
        count = len(self.problems)
        heading = "1 problem" if count == 1 else f"{count} problems"
        super().__init__(heading + ":\n" + "\n".join(f"- {p}" for p in self.problems))
