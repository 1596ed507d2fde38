"""The admin's "Load wording" form: a wording file, its instrument and site, the licence."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from balm.accounts.models import Site
from balm.instruments import catalogue


def wordless_instruments() -> list[tuple[str, str]]:
    """Catalogue instruments balm ships without wording: the ones a site may supply."""
    return [
        (key, f"{instrument.short_name}: {instrument.name}")
        for key, instrument in catalogue().items()
        if not instrument.item_text_included
    ]


class LoadWordingForm(forms.Form):
    site = forms.ModelChoiceField(queryset=Site.objects.none(), empty_label=None)
    instrument = forms.ChoiceField(choices=())
    file = forms.FileField(
        label="Wording file",
        help_text="YAML or CSV (see docs/instruments.md): every item's text and every response "
        "label, in the printed order. Nothing is loaded if anything is wrong.",
    )
    licence_granted_by = forms.CharField(
        max_length=300, required=False, help_text="Unless the file records the licence."
    )
    licence_granted_on = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="YYYY-MM-DD."
    )
    licence_use = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What the licence allows, e.g. routine outcome monitoring at this service.",
    )
    licence_file = forms.FileField(
        required=False, help_text="Optional: the licence letter or agreement (up to 5 MB)."
    )
    enable_online = forms.BooleanField(
        required=False,
        initial=True,
        label="Let participants answer it online",
        help_text="Otherwise staff still enter it from paper, now with this wording.",
    )

    def __init__(self, *args: Any, sites: QuerySet[Site], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        self.fields["instrument"].choices = wordless_instruments()  # type: ignore[attr-defined]

    def licence(self) -> dict[str, Any] | None:
        """The licence typed in the form, or None when all three are blank."""
        given = {
            "granted_by": self.cleaned_data.get("licence_granted_by") or "",
            "granted_on": self.cleaned_data.get("licence_granted_on"),
            "use": self.cleaned_data.get("licence_use") or "",
        }
        if not any(given.values()):
            return None
        if given["granted_on"] is not None:
            given["granted_on"] = given["granted_on"].isoformat()
        return given
