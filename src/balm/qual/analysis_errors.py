"""Errors raised by the analyses of :mod:`balm.qual` (agreement, queries, recurrence, suggest).

A problem with the data or the options a researcher chose (an unknown source, coder or code, a
span outside its text, a unit that the data cannot give) raises :class:`QualAnalysisError`
listing every problem at once, worded to be shown as it is. Programmer errors (a frame without
the contract's columns) raise :class:`FrameContractError`.
"""

from __future__ import annotations

from collections.abc import Sequence


class QualAnalysisError(ValueError):
    """The data or the options given to a qualitative analysis cannot be used."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


class FrameContractError(TypeError):
    """A data frame passed in does not have the columns the frames contract promises."""
