"""Errors raised by :mod:`balm.change`.

User-facing problems with the data or the parameters (a missing column, a timepoint
that is not in the data, a reliability outside (0, 1), a cut-off that needs norms that
were not given) raise :class:`ChangeInputError` with a message that can be shown to a
researcher as it is. Programmer errors (a wrong type passed from code) are left to
Python's own ``TypeError``/``ValueError``.
"""

from __future__ import annotations


class ChangeInputError(ValueError):
    """The data or the parameters given to a change analysis cannot be used."""


class MissingParameterError(ChangeInputError):
    """A number the chosen analysis needs was neither given nor found in the catalogue."""

    def __init__(self, name: str, needed_for: str, hint: str = "") -> None:
        self.name = name
        message = f"{needed_for} needs {name}"
        if hint:
            message += f": {hint}"
        super().__init__(message)
