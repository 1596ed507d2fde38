"""Qualitative projects in the database: sources, codes, codings, notes, themes, pseudonyms.

The same concepts as :mod:`balm.qual` (the pure core), stored per site; exchange with other
programs goes through :mod:`balm.qual.refi` (rows <-> :class:`balm.qual.Project`, see
``convert.py``), never through a second REFI-QDA implementation.
"""
