"""Admin for programme templates (administrators: their sites' own templates; templates shipped
with balm are read-only except for superusers) and, for superusers only, cohorts, enrolments
and sessions. Rules: ``balm.web.admin_site``."""

from typing import Any

from django.contrib import admin
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from balm.accounts import permissions
from balm.accounts.models import Site
from balm.audit.models import record
from balm.programmes.actions import update_session_plan
from balm.programmes.models import (
    Cohort,
    Enrolment,
    EnrolmentStatusChange,
    ProgrammeTemplate,
    ScheduleEntry,
    Session,
    SessionPlan,
)
from balm.web.admin_site import (
    AuditedAdmin,
    SuperuserOnlyAdmin,
    SuperuserOnlyInline,
    balm_admin,
    is_superuser,
)

PLAN_TEXT = ("title", "aims", "exercise", "home_practice")


class TemplatePartInline:
    """Session plans and schedule entries follow their template's rules."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(permissions.administered_site_ids(request.user))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:  # the add form: the template will belong to one of their sites
            return bool(permissions.administered_site_ids(request.user))
        return permissions.can_edit_template(request.user, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)


class SessionPlanInline(TemplatePartInline, admin.StackedInline):
    model = SessionPlan
    extra = 0


class ScheduleEntryInline(TemplatePartInline, admin.TabularInline):
    model = ScheduleEntry
    extra = 0


@admin.register(ProgrammeTemplate, site=balm_admin)
class ProgrammeTemplateAdmin(AuditedAdmin):
    list_display = ("name", "slug", "weeks", "site")
    inlines = (SessionPlanInline, ScheduleEntryInline)
    readonly_fields = ("updated_at",)
    audit_name = "template"

    def get_queryset(self, request: HttpRequest) -> Any:
        sites = permissions.administered_site_ids(request.user)
        queryset = super().get_queryset(request).select_related("site")
        if is_superuser(request):
            return queryset
        if not sites:
            return queryset.none()
        return queryset.filter(Q(site_id__in=sites) | Q(site__isnull=True))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(permissions.administered_site_ids(request.user))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        sites = permissions.administered_site_ids(request.user)
        if obj is None or obj.site_id is None:
            return bool(sites)
        return obj.site_id in sites

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return bool(permissions.administered_site_ids(request.user))
        return permissions.can_edit_template(request.user, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(permissions.administered_site_ids(request.user))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "site":
            kwargs["queryset"] = Site.objects.filter(
                id__in=permissions.administered_site_ids(request.user)
            )
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "site" and not is_superuser(request):
            field.required = True  # only a superuser makes a shipped (site-less) template
        return field

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        template = form.instance
        instances = formset.save(commit=False)
        for gone in formset.deleted_objects:
            record(
                f"template.{gone._meta.model_name}.delete",
                by=request.user,
                obj=gone,
                site=template.site,
                details={"template": template.slug, "repr": str(gone), "via": "admin"},
            )
            gone.delete()
        changed = {id(f.instance): f.changed_data for f in formset.forms if f.has_changed()}
        for item in instances:
            if isinstance(item, SessionPlan) and item.pk is not None:
                update_session_plan(
                    plan=item,
                    by=request.user,
                    **{k: getattr(item, k) for k in PLAN_TEXT if k in changed.get(id(item), ())},
                )
                continue
            created = item.pk is None
            item.save()
            record(
                f"template.{item._meta.model_name}.{'create' if created else 'update'}",
                by=request.user,
                obj=item,
                site=template.site,
                details={
                    "template": template.slug,
                    "fields": sorted(changed.get(id(item), ())),
                    "via": "admin",
                },
            )
        formset.save_m2m()


class HistoryInline(SuperuserOnlyInline, admin.TabularInline):
    model = EnrolmentStatusChange
    extra = 0
    readonly_fields = ("status", "on", "reason", "by", "recorded_at")


@admin.register(Enrolment, site=balm_admin)
class EnrolmentAdmin(SuperuserOnlyAdmin):
    list_display = ("participant", "cohort", "status", "format")
    list_filter = ("cohort__site", "status")
    inlines = (HistoryInline,)


@admin.register(Cohort, site=balm_admin)
class CohortAdmin(SuperuserOnlyAdmin):
    list_display = ("name", "site", "start_date", "format", "status")


@admin.register(Session, site=balm_admin)
class SessionAdmin(SuperuserOnlyAdmin):
    pass
