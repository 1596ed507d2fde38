"""The JSON API (django-ninja) at ``/api``: schema at ``/api/openapi.json``, docs at ``/api/docs``.

Every endpoint asks ``balm.accounts.permissions`` who may see what and writes through the
actions in ``balm.outcomes.actions``; see :mod:`balm.api.api`.
"""
