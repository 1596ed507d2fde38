"""Licensed wording in the admin: administrators of a site (and superusers) load a version for
their site, and enable or stop online answering; nobody edits or deletes a loaded version.

Another site's wording is invisible (a 404); every write goes through
:mod:`balm.wording.actions`, which audits it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from balm.accounts import permissions
from balm.accounts.errors import InvalidInput, NotAllowed
from balm.accounts.models import Site
from balm.instruments import get_instrument
from balm.web.admin_site import AuditedAdmin, balm_admin, is_superuser
from balm.wording import actions
from balm.wording.files import read_wording_file
from balm.wording.forms import LoadWordingForm
from balm.wording.models import InstrumentWording, OnlineInstrument, PrintedOrder


def _administered(request: HttpRequest) -> set[int]:
    return permissions.administered_site_ids(request.user)


class SiteAdministeredAdmin(AuditedAdmin):
    """Rows of the sites the user administers (every row for a superuser); another site's row
    is a 404. ``related`` names what each list row shows beside it."""

    related: tuple[str, ...] = ("site",)

    def get_queryset(self, request: HttpRequest) -> Any:
        queryset = super().get_queryset(request).select_related(*self.related)
        if is_superuser(request):
            return queryset
        return queryset.filter(site_id__in=_administered(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(_administered(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return bool(_administered(request))
        return obj.site_id in _administered(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(_administered(request))


@admin.register(InstrumentWording, site=balm_admin)
class InstrumentWordingAdmin(SiteAdministeredAdmin):
    list_display = (
        "instrument_id",
        "version",
        "site",
        "placeholder",
        "online",
        "licence_granted_by",
        "loaded_at",
    )
    list_filter = ("instrument_id", "placeholder")
    actions = ("enable_online", "disable_online")
    readonly_fields = (
        "site",
        "instrument_id",
        "version",
        "catalogue_version",
        "placeholder",
        "texts",
        "licence_granted_by",
        "licence_granted_on",
        "licence_use",
        "licence_document",
        "source_name",
        "loaded_by",
        "loaded_at",
    )
    fields = readonly_fields
    load_template = "admin/wording/instrumentwording/load.html"

    # --- who sees what: administrators of the wording's site, and superusers.

    related = ("site", "loaded_by")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a loaded version is never changed: load the next one

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # responses point at it

    def has_online_permission(self, request: HttpRequest) -> bool:
        return bool(_administered(request))

    @admin.display(boolean=True, description="Answered online")
    def online(self, obj: InstrumentWording) -> bool:
        return OnlineInstrument.objects.filter(
            site_id=obj.site_id, instrument_id=obj.instrument_id
        ).exists()

    @admin.display(description="Wording")
    def texts(self, obj: InstrumentWording) -> str:
        wording = obj.as_wording()
        rows = [("Instructions", wording.instructions or "")]
        rows.append(("Recall period", wording.recall_period or ""))
        rows += [(item_id, text) for item_id, text in wording.items.items()]
        rows += [(key, " | ".join(labels)) for key, labels in wording.option_labels.items()]
        return format_html_join("", "<p><strong>{}</strong>: {}</p>", rows)

    @admin.display(description="Licence file")
    def licence_document(self, obj: InstrumentWording) -> str:
        if obj.licence_file is None:
            return "none"
        opts = self.model._meta
        url = reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_licence", args=[obj.pk]
        )
        return format_html('<a href="{}">{}</a>', url, obj.licence_file_name or "download")

    def get_urls(self) -> list[Any]:
        opts = self.model._meta
        licence = path(
            "<path:object_id>/licence/",
            self.admin_site.admin_view(self.licence_view),
            name=f"{opts.app_label}_{opts.model_name}_licence",
        )
        return [licence, *super().get_urls()]

    def licence_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The stored licence file, to the site's administrators (another site's is a 404)."""
        wording = self.get_object(request, unquote(object_id))
        if wording.licence_file is None:
            raise Http404("No licence file was stored.")
        response = HttpResponse(
            bytes(wording.licence_file), content_type="application/octet-stream"
        )
        name = (wording.licence_file_name or "licence").replace('"', "")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "no-store"
        return response

    # --- enabling and stopping online answering (changelist actions)

    def _set_online(
        self, request: HttpRequest, queryset: QuerySet[InstrumentWording], on: bool
    ) -> None:
        done = set()
        for wording in queryset.select_related("site"):
            key = (wording.site_id, wording.instrument_id)
            if key in done:
                continue
            done.add(key)
            try:
                if on:
                    actions.enable_online(
                        site=wording.site, instrument_id=wording.instrument_id, by=request.user
                    )
                else:
                    actions.disable_online(
                        site=wording.site, instrument_id=wording.instrument_id, by=request.user
                    )
            except (InvalidInput, NotAllowed) as error:
                self.message_user(request, str(error), messages.ERROR)
                return
        verb = "now answered online" if on else "now entered from paper only"
        names = ", ".join(sorted(instrument for _, instrument in done))
        self.message_user(request, f"{names}: {verb}.", messages.SUCCESS)

    @admin.action(description="Let participants answer online", permissions=["online"])
    def enable_online(self, request: HttpRequest, queryset: QuerySet[InstrumentWording]) -> None:
        self._set_online(request, queryset, True)

    @admin.action(description="Stop online answering (paper only)", permissions=["online"])
    def disable_online(self, request: HttpRequest, queryset: QuerySet[InstrumentWording]) -> None:
        self._set_online(request, queryset, False)

    # --- "Add" is the load form: a file checked against the catalogue, then one new version.

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise NotAllowed
        sites = Site.objects.filter(id__in=_administered(request)).order_by("name")
        problems: list[str] = []
        if request.method == "POST":
            form = LoadWordingForm(request.POST, request.FILES, sites=sites)
            if form.is_valid():
                problems = self._load(request, form)
                if not problems:
                    opts = self.model._meta
                    return HttpResponseRedirect(
                        reverse(
                            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist"
                        )
                    )
        else:
            form = LoadWordingForm(sites=sites)
        context = {
            **self.admin_site.each_context(request),
            "title": "Load licensed wording",
            "opts": self.model._meta,
            "form": form,
            "problems": problems,
            "has_view_permission": self.has_view_permission(request),
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.load_template, context)

    def _load(self, request: HttpRequest, form: LoadWordingForm) -> list[str]:
        """Load the form's file; every problem as ``where: message`` (none when loaded)."""
        site = form.cleaned_data["site"]
        upload = form.cleaned_data["file"]
        licence_upload = form.cleaned_data.get("licence_file")
        try:
            instrument_id, data = read_wording_file(
                upload.name, upload.read(), form.cleaned_data["instrument"]
            )
            wording = actions.load_wording(
                site=site,
                instrument_id=instrument_id,
                data=data,
                by=request.user,
                source_name=upload.name,
                licence=form.licence(),
                licence_file=licence_upload.read() if licence_upload else None,
                licence_file_name=licence_upload.name if licence_upload else "",
            )
            if form.cleaned_data["enable_online"]:
                actions.enable_online(site=site, instrument_id=instrument_id, by=request.user)
        except InvalidInput as error:
            return [f"{p.field}: {p.message}" if p.field else p.message for p in error.problems]
        except NotAllowed as error:
            return [str(error)]
        online = " and answered online" if form.cleaned_data["enable_online"] else ""
        self.message_user(request, f"Loaded {wording}{online}.", messages.SUCCESS)
        return []


@admin.register(OnlineInstrument, site=balm_admin)
class OnlineInstrumentAdmin(SiteAdministeredAdmin):
    """Read-only list of what each site answers online (changed from the wording list)."""

    list_display = ("instrument_id", "site", "enabled_by", "enabled_at")
    readonly_fields = ("site", "instrument_id", "enabled_by", "enabled_at")

    related = ("site",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _ordered_instruments() -> list[Any]:
    from balm.instruments import catalogue

    return [instrument for instrument in catalogue().values() if instrument.needs_variant]


class PrintedOrderForm(forms.ModelForm):
    """Site, instrument (those whose printed order is unconfirmed) and the form's order."""

    class Meta:
        model = PrintedOrder
        fields = ("site", "instrument_id", "variant")

    def __init__(self, *args: Any, sites: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instruments = _ordered_instruments()
        if "site" in self.fields and sites is not None:
            self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        if "instrument_id" in self.fields:
            self.fields["instrument_id"] = forms.ChoiceField(
                label="Instrument",
                choices=[(i.id, f"{i.short_name}: {i.name}") for i in instruments],
            )
        self.fields["variant"] = forms.ChoiceField(
            label="Printed order of your form",
            choices=[
                (name, f"{name} ({i.short_name}): {variant.description}")
                for i in instruments
                for name, variant in i.variants.items()
            ],
            help_text="Compare with the form you print: which question is where. Answers are "
            "kept by printed question and scored in this order; changing it applies to answers "
            "recorded from then on (each response keeps the order it was scored in).",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        instrument_id = data.get("instrument_id") or self.instance.instrument_id
        variant = data.get("variant")
        if instrument_id and variant:
            instrument = get_instrument(instrument_id)
            if variant not in instrument.variants:
                allowed = ", ".join(sorted(instrument.variants))
                self.add_error(
                    "variant",
                    f"Not a printed order of {instrument.short_name}. Allowed: {allowed}.",
                )
        return data


@admin.register(PrintedOrder, site=balm_admin)
class PrintedOrderAdmin(SiteAdministeredAdmin):
    """Administrators of a site (and superusers) declare which printed order its form of an
    instrument uses (CPAQ-8); through :func:`balm.wording.actions.declare_printed_order`,
    which audits it. Another site's declaration is a 404; nothing is deleted."""

    list_display = ("instrument_id", "variant", "site", "declared_by", "declared_at")
    form = PrintedOrderForm

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        sites = Site.objects.filter(id__in=_administered(request)).order_by("name")

        class Bound(form):  # type: ignore[misc,valid-type]
            def __init__(self, *args: Any, **inner: Any) -> None:
                super().__init__(*args, sites=sites, **inner)

        return Bound

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("site", "instrument_id", "variant") if obj is None else ("variant",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else ("site", "instrument_id", "declared_by", "declared_at")

    related = ("site", "declared_by")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_view_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # responses were scored under it; declare another order instead

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        declared = actions.declare_printed_order(
            site=obj.site, instrument_id=obj.instrument_id, variant=obj.variant, by=request.user
        )
        obj.pk, obj.declared_by, obj.declared_at = (
            declared.pk,
            declared.declared_by,
            declared.declared_at,
        )
