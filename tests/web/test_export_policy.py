"""Every field of every balm model is classified for the pseudonymised export."""

from __future__ import annotations

from django.apps import apps

from balm.audit.export_policy import EXPORT_POLICY

BALM_APPS = ("accounts", "api", "audit", "programmes", "outcomes", "wording", "qualitative")


def test_every_field_is_classified() -> None:
    unclassified = []
    for app_label in BALM_APPS:
        for model in apps.get_app_config(app_label).get_models():
            policy = EXPORT_POLICY.get(model._meta.label_lower, {})
            for field in model._meta.get_fields():
                if field.auto_created and not field.concrete:
                    continue  # reverse relations belong to the other model
                if field.name not in policy:
                    unclassified.append(f"{model._meta.label_lower}.{field.name}")
    assert unclassified == [], f"classify these in balm.audit.export_policy: {unclassified}"


def test_identifying_fields_never_kept() -> None:
    assert EXPORT_POLICY["accounts.participant"]["name"] == "drop"
    assert EXPORT_POLICY["accounts.participant"]["email"] == "drop"
    assert EXPORT_POLICY["accounts.participantlink"]["token_hash"] == "drop"
    assert all(policy == "drop" for policy in EXPORT_POLICY["accounts.user"].values())
    assert all(policy == "drop" for policy in EXPORT_POLICY["qualitative.pseudonymentry"].values())


def test_no_stale_entries() -> None:
    known = {
        model._meta.label_lower: {f.name for f in model._meta.get_fields()}
        for app_label in BALM_APPS
        for model in apps.get_app_config(app_label).get_models()
    }
    stale = [
        f"{label}.{name}"
        for label, fields in EXPORT_POLICY.items()
        for name in fields
        if label not in known or name not in known[label]
    ]
    assert stale == []
