"""The benchmark's bulk builder writes exactly the rows the actions write (issue 15).

``bench/scale.py`` builds its first groups through the actions and the rest in bulk
(``tests/support/scale_site.py``). Here one plan (three people in a finished group, so every
questionnaire up to the end of the course and all twelve check-ins) is built through the actions
at one site and in bulk at another, and every row each build added is compared table by table,
every column but those listed in ``DIFFER`` (with why). Keys are compared as what they point
to: a row of this build by its place in its table, anything else by its id. Then a second
group is built in bulk after the first at the actions' site, and the audit trail's hash chains
are checked with ``balm manage verify_audit``.
"""

from __future__ import annotations

import random
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.utils import timezone
from tests.support import scale_site

from balm.audit.models import AuditEvent
from balm.outcomes.models import SafetyAlert

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

#: Columns that legitimately differ between two builds of one plan, and why.
DIFFER = {
    "id": "assigned by the database",
    "client_id": "a fresh random idempotency key per submission, in either builder",
    "hash": "covers ids and the moment of writing; the chain is checked by verify_audit",
    "prev_hash": "the hash of the event before (as hash)",
}
# Every DateTimeField holds the moment of a write (created_at, updated_at, recorded_at, at,
# acknowledged_at ...): only whether it is set is compared. Dates (opens_on, the status
# change's on) are compared.

#: Keys inside audit events' details that hold ids, and the model they point to.
DETAIL_IDS = {
    "cohort": "programmes.cohort",
    "participant": "accounts.participant",
    "assessment": "outcomes.assessment",
    "alerts": "outcomes.safetyalert",
}


def _last_ids() -> dict[str, int]:
    return {
        m._meta.label_lower: m.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        for m in apps.get_models()
        if isinstance(m._meta.pk, models.AutoField | models.BigAutoField)
    }


def _new_rows(before: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
    """Every row added since ``before``, per table, oldest first (tables with none left out)."""
    out = {}
    for label, last in before.items():
        rows = list(
            apps.get_model(label)
            .objects.filter(pk__gt=last)
            .order_by("pk")
            .values(*(f.attname for f in apps.get_model(label)._meta.concrete_fields))
        )
        if rows:
            out[label] = rows
    return out


def _comparable(
    added: dict[str, list[dict[str, Any]]], state: scale_site.Site
) -> dict[str, list[Any]]:
    """The rows with their own ids replaced by their place in their table, keys to this
    build's rows likewise, the site and its facilitator by a name, times by whether they are
    set, and the columns in ``DIFFER`` dropped."""
    place = {label: {row["id"]: n for n, row in enumerate(rows)} for label, rows in added.items()}

    def key(label: str, value: Any) -> Any:
        if label == "accounts.site" and value == state.site.pk:
            return "the site"
        if label == "accounts.user" and value == state.staff.pk:
            return "the facilitator"
        if value is not None and label in place and int(value) in place[label]:
            return (label, place[label][int(value)])
        return value

    out: dict[str, list[Any]] = {}
    for label, rows in added.items():
        fields = {f.attname: f for f in apps.get_model(label)._meta.concrete_fields}
        out[label] = []
        for row in rows:
            kept: dict[str, Any] = {}
            for name, value in row.items():
                f = fields[name]
                if name in DIFFER:
                    continue
                if isinstance(f, models.DateTimeField):
                    value = "a time" if value is not None else None  # set or not, not when
                if f.is_relation:
                    value = key(f.related_model._meta.label_lower, value)
                kept[name] = value
            if label == "audit.auditevent":
                kept["object_id"] = key(kept["object_type"], kept["object_id"])
                details = dict(kept["details"])
                for name, target in DETAIL_IDS.items():
                    if isinstance(details.get(name), list):
                        details[name] = [key(target, v) for v in details[name]]
                    elif name in details:
                        details[name] = key(target, details[name])
                kept["details"] = details
            out[label].append(kept)
    return out


def _build(slug: str, bulk: bool) -> tuple[scale_site.Site, dict[str, list[Any]]]:
    state = scale_site.new_site(slug)
    plan = scale_site.plan_group(state, 20, timezone.localdate(), size=3, rng=random.Random(2026))
    before = _last_ids()
    (scale_site.build_in_bulk if bulk else scale_site.build_with_actions)(state, plan)
    return state, _comparable(_new_rows(before), state)


def test_bulk_rows_are_the_rows_the_actions_write() -> None:
    by_actions, through_actions = _build("actions", bulk=False)
    _, in_bulk = _build("bulk", bulk=True)

    # The plan exercises what a bulk builder could get wrong: scores in a declared printed
    # order (CPAQ-8), safety alerts (acknowledged: the group has finished), check-ins, the
    # audit event of every write.
    assert SafetyAlert.objects.filter(acknowledged_by__isnull=False).count() >= 2
    assert len(through_actions["outcomes.checkin"]) == 3 * 12
    assert through_actions["outcomes.response"]
    assert any(r["variant"] for r in through_actions["outcomes.response"])
    assert sorted(through_actions) == sorted(in_bulk), "the same tables gained rows"
    for label in through_actions:
        assert len(through_actions[label]) == len(in_bulk[label]), label
        for n, (a, b) in enumerate(zip(through_actions[label], in_bulk[label], strict=True)):
            assert a == b, f"{label} row {n}"

    # A bulk group after an actions-built one continues that site's chain.
    plan = scale_site.plan_group(by_actions, 21, timezone.localdate(), size=2, rng=random.Random(7))
    scale_site.build_in_bulk(by_actions, plan)
    assert AuditEvent.objects.filter(site=by_actions.site).count() > len(
        through_actions["audit.auditevent"]
    )
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "Audit trail intact" in out.getvalue()
