"""A site's licensed wording of a catalogue instrument (versioned) and whether the site lets
participants answer that instrument online.

A wording row is never changed once written: loading new wording adds the next version, and a
response keeps pointing at the version it was answered on (``outcomes.Response.wording``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from balm.instruments.wording import Wording, wording_from_data


class InstrumentWording(models.Model):
    """One version of a site's wording for one instrument, with the licence it rests on."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="wordings")
    instrument_id = models.CharField(max_length=40)
    version = models.PositiveIntegerField(help_text="1 for the first wording loaded, then 2...")
    catalogue_version = models.CharField(
        max_length=40, help_text="The catalogue entry's version the wording was checked against."
    )
    wording = models.JSONField(
        encoder=DjangoJSONEncoder,
        help_text="Item texts, option labels, instructions and recall period, as checked.",
    )
    placeholder = models.BooleanField(
        default=False, help_text="Placeholder text built from each item's concept (demo only)."
    )
    licence_granted_by = models.CharField(max_length=300)
    licence_granted_on = models.DateField()
    licence_use = models.TextField(help_text="What the licence allows the service to use it for.")
    licence_file_name = models.CharField(max_length=200, blank=True)
    licence_file = models.BinaryField(null=True, blank=True, editable=False)
    source_name = models.CharField(
        max_length=200, blank=True, help_text="The file the wording was loaded from."
    )
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("site", "instrument_id", "-version")
        constraints = (
            models.UniqueConstraint(
                fields=["site", "instrument_id", "version"], name="one_wording_version_each"
            ),
        )

    def __str__(self) -> str:
        mark = " (placeholder)" if self.placeholder else ""
        return f"{self.instrument_id} wording v{self.version}{mark} at {self.site}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("A loaded wording is never changed: load a new version instead.")
        super().save(*args, **kwargs)

    def as_wording(self) -> Wording:
        """The stored wording as the core's plain data."""
        return wording_from_data(self.wording)


class OnlineInstrument(models.Model):
    """The site lets participants answer this instrument online (it has the site's wording)."""

    site = models.ForeignKey(
        "accounts.Site", on_delete=models.CASCADE, related_name="online_instruments"
    )
    instrument_id = models.CharField(max_length=40)
    enabled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    enabled_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("site", "instrument_id")
        constraints = (
            models.UniqueConstraint(fields=["site", "instrument_id"], name="online_once_per_site"),
        )

    def __str__(self) -> str:
        return f"{self.instrument_id} online at {self.site}"


class PrintedOrder(models.Model):
    """Which printed item order (a catalogue ``variant``) a site's form of an instrument uses.

    Needed for an instrument whose printed order the catalogue could not confirm
    (``Instrument.needs_variant``, e.g. CPAQ-8): until the site declares it, the instrument is
    not scheduled, answered online, entered from paper or imported there. Answers are kept by
    printed question (q1 = the form's first question) and every response records the variant
    it was scored with, so a later change of declaration leaves earlier responses as scored.
    """

    site = models.ForeignKey("accounts.Site", on_delete=models.CASCADE, related_name="+")
    instrument_id = models.CharField(max_length=40)
    variant = models.CharField(max_length=60)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    declared_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("site", "instrument_id")
        constraints = (
            models.UniqueConstraint(
                fields=["site", "instrument_id"], name="one_printed_order_per_site"
            ),
        )

    def __str__(self) -> str:
        return f"{self.instrument_id} printed order {self.variant} at {self.site}"
