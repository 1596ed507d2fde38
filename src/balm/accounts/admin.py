"""Admin for sites and memberships (site administrators: their own sites) and, for superusers
only, users, participants and personal links. Rules: ``balm.web.admin_site``."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import Q
from django.http import HttpRequest

from balm.accounts import permissions
from balm.accounts.actions import add_membership, create_site
from balm.accounts.models import Membership, Participant, ParticipantLink, Site, User
from balm.web.admin_site import (
    AuditedAdmin,
    SuperuserOnlyAdmin,
    SuperuserOnlyInline,
    balm_admin,
    is_superuser,
)


def _administered(request: HttpRequest) -> set[int]:
    return permissions.administered_site_ids(request.user)


class MembershipInline(SuperuserOnlyInline, admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User, site=balm_admin)
class BalmUserAdmin(SuperuserOnlyAdmin, UserAdmin):
    inlines = (MembershipInline,)
    audit_name = "admin.user"


class SiteForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A form posted without the token lifetime (one made before the setting existed)
        # keeps the site's; a blank one is still refused as missing.
        if self.is_bound and "api_token_days" not in self.data:
            self.data = self.data.copy()
            self.data["api_token_days"] = str(self.instance.api_token_days)

    class Meta:
        model = Site
        fields = (
            "name",
            "slug",
            "crisis_contacts",
            "enabled_instruments",
            "alert_escalation_minutes",
            "duty_email",
            "researchers_see_checkin_notes",
            "facilitators_need_two_factor",
            "api_token_days",
            "retention_years",
        )

    def clean_enabled_instruments(self) -> list[str]:
        from balm.instruments.catalogue import catalogue

        value = self.cleaned_data.get("enabled_instruments") or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise forms.ValidationError('Give a list of instrument ids, like ["phq9", "gad7"].')
        unknown = sorted(set(value) - set(catalogue()))
        if unknown:
            raise forms.ValidationError(f"Not in the catalogue: {', '.join(unknown)}.")
        if self.instance.pk is not None:
            from balm.wording.printed_order import undeclared_problems

            undeclared = undeclared_problems(self.instance, value)
            if undeclared:
                raise forms.ValidationError([problem.message for problem in undeclared])
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("alert_escalation_minutes") and not data.get("duty_email"):
            self.add_error(
                "duty_email", "Give the duty contact's e-mail address, or leave the minutes blank."
            )
        return data


@admin.register(Site, site=balm_admin)
class SiteAdmin(AuditedAdmin):
    """Administrators change their own sites (crisis contacts, instruments); only superusers
    create or delete sites."""

    list_display = ("name", "slug")
    form = SiteForm
    fields = (
        "name",
        "slug",
        "crisis_contacts",
        "enabled_instruments",
        "alert_escalation_minutes",
        "duty_email",
        "researchers_see_checkin_notes",
        "facilitators_need_two_factor",
        "api_token_days",
        "retention_years",
        "created_at",
    )
    audit_name = "site"

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).filter(id__in=_administered(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(_administered(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        sites = _administered(request)
        return bool(sites) if obj is None else obj.pk in sites

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_superuser(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("created_at",)
        return ("slug", "created_at")  # the short name is used in exports and links

    def get_prepopulated_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return {"slug": ("name",)} if obj is None else {}

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        site = create_site(
            name=obj.name,
            slug=obj.slug,
            crisis_contacts=obj.crisis_contacts,
            enabled_instruments=obj.enabled_instruments,
            by=request.user,
        )
        obj.pk, obj.created_at = site.pk, site.created_at


@admin.register(Membership, site=balm_admin)
class MembershipAdmin(AuditedAdmin):
    """Administrators give and take away roles at their own sites (a change is a removal and
    a new membership); superusers see every site."""

    list_display = ("user", "role", "site")
    list_filter = ("role",)
    fields = ("user", "site", "role", "created_at")
    readonly_fields = ("created_at",)
    search_fields = ("user__username", "user__first_name", "user__last_name")
    audit_name = "membership"

    def get_queryset(self, request: HttpRequest) -> Any:
        return (
            super()
            .get_queryset(request)
            .filter(site_id__in=_administered(request))
            .select_related("user", "site")
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(_administered(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        sites = _administered(request)
        return bool(sites) if obj is None else obj.site_id in sites

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(_administered(request))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_view_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        sites = _administered(request)
        if db_field.name == "site":
            kwargs["queryset"] = Site.objects.filter(id__in=sites)
        elif db_field.name == "user" and not is_superuser(request):
            # people already at these sites, or staff accounts not yet at any site
            kwargs["queryset"] = User.objects.filter(
                Q(memberships__site_id__in=sites)
                | Q(memberships__isnull=True, participant__isnull=True),
                is_active=True,
            ).distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        saved = add_membership(user=obj.user, site=obj.site, role=obj.role, by=request.user)
        obj.pk, obj.created_at = saved.pk, saved.created_at


@admin.register(Participant, site=balm_admin)
class ParticipantAdmin(SuperuserOnlyAdmin):
    list_display = ("pseudonym", "site")
    list_filter = ("site",)


@admin.register(ParticipantLink, site=balm_admin)
class ParticipantLinkAdmin(SuperuserOnlyAdmin):
    list_display = ("participant", "created_at", "expires_at", "revoked_at")
    readonly_fields = ("token_hash",)
