"""Admin for programme templates and, for superusers only, cohorts, enrolments and sessions.

Administrators edit their sites' own templates; templates shipped with balm are read-only except
for superusers. "Copy to my site" (a changelist action and a button on a template's page) leads
to a confirmation page, where an administrator of several sites chooses one, and copies the
template through :func:`balm.programmes.actions.copy_template_to_site` (which checks and
audits); the copy is theirs to edit. Rules: ``balm.web.admin_site``.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from balm.accounts import permissions
from balm.accounts.errors import InvalidInput, NotAllowed
from balm.accounts.models import Site
from balm.audit.models import record
from balm.programmes.actions import (
    NAME_LENGTH,
    SLUG_LENGTH,
    copy_template_to_site,
    update_session_plan,
)
from balm.programmes.models import (
    Cohort,
    Enrolment,
    EnrolmentStatusChange,
    ProgrammeTemplate,
    ScheduleEntry,
    Session,
    SessionPlan,
)
from balm.programmes.schedule import checkin_instrument_ids
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


class CopyTemplateForm(forms.Form):
    """The confirmation page of "Copy to my site": which site, and the copy's names."""

    site = forms.ModelChoiceField(
        queryset=Site.objects.none(),
        label="Copy to",
        empty_label=None,
        error_messages={
            "invalid_choice": "You can copy a template only to a site you administer.",
            "required": "Choose the site to copy the template to.",
        },
    )
    # Plain text fields: copy_template_to_site checks the short name and the name, so a bad one
    # is shown together with everything else the action finds wrong (the template's catalogue
    # problems), not alone before the action runs.
    slug = forms.CharField(
        required=False,
        label="Short name",
        help_text="Unique across balm: letters, numbers, hyphens and underscores. Leave blank "
        "for the site's short name followed by the template's.",
        widget=forms.TextInput(attrs={"maxlength": SLUG_LENGTH}),
    )
    name = forms.CharField(
        required=False,
        label="Name",
        help_text="Leave blank for the template's name.",
        widget=forms.TextInput(attrs={"maxlength": NAME_LENGTH}),
    )

    def __init__(self, *args: Any, sites: QuerySet[Site], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["site"]
        field.queryset = sites  # type: ignore[attr-defined]
        if len(sites) == 1:
            field.widget = forms.HiddenInput()
            field.initial = sites[0].pk


@admin.register(ProgrammeTemplate, site=balm_admin)
class ProgrammeTemplateAdmin(AuditedAdmin):
    list_display = ("name", "slug", "weeks", "site")
    inlines = (SessionPlanInline, ScheduleEntryInline)
    readonly_fields = ("updated_at",)
    audit_name = "template"
    actions = ("copy_to_my_site",)
    copy_template = "admin/programmes/programmetemplate/copy_to_site.html"

    # --- Copy to my site: a changelist action and a button on the change page, both leading
    # to one confirmation page that calls the copy_template_to_site action (which audits).

    def has_copy_permission(self, request: HttpRequest) -> bool:
        """Administrators of a site (and superusers) may copy a template they can see."""
        return bool(permissions.administered_site_ids(request.user))

    @admin.action(description="Copy to my site", permissions=["copy"])
    def copy_to_my_site(
        self, request: HttpRequest, queryset: QuerySet[ProgrammeTemplate]
    ) -> HttpResponse | None:
        chosen = list(queryset[:2])
        if len(chosen) != 1:
            self.message_user(request, "Choose one template to copy at a time.", messages.WARNING)
            return None
        return HttpResponseRedirect(self._copy_url(chosen[0]))

    def _copy_url(self, template: ProgrammeTemplate) -> str:
        opts = self.model._meta
        return reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_copy", args=[template.pk]
        )

    def get_urls(self) -> list[Any]:
        opts = self.model._meta
        copy = path(
            "<path:object_id>/copy/",
            self.admin_site.admin_view(self.copy_view),
            name=f"{opts.app_label}_{opts.model_name}_copy",
        )
        return [copy, *super().get_urls()]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = {**(extra_context or {}), "can_copy": self.has_copy_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def copy_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Confirm the copy: choose the site (when they administer several), the short name
        and the name; then copy and open the copy, which is theirs to edit."""
        template = self.get_object(request, unquote(object_id))  # 404 unless they see it
        if not self.has_copy_permission(request):
            raise PermissionDenied
        sites = Site.objects.filter(
            id__in=permissions.administered_site_ids(request.user)
        ).order_by("name")
        only = list(sites[:2])
        default_slug = f"{only[0].slug}-{template.slug}"[:80] if len(only) == 1 else ""
        if request.method == "POST":
            form = CopyTemplateForm(request.POST, sites=sites)
            if form.is_valid():
                site = form.cleaned_data["site"]
                slug = form.cleaned_data["slug"] or f"{site.slug}-{template.slug}"[:80]
                try:
                    copy = copy_template_to_site(
                        template=template,
                        site=site,
                        slug=slug,
                        name=form.cleaned_data["name"],
                        by=request.user,
                    )
                except InvalidInput as error:
                    for problem in error.problems:
                        field = problem.field if problem.field in form.fields else None
                        form.add_error(field, problem.message)
                except NotAllowed as error:
                    form.add_error("site", str(error))
                else:
                    self.message_user(
                        request,
                        f"Copied “{template}” to {site} as {copy.slug}. "
                        "The copy belongs to your site: edit its sessions and schedule here.",
                        messages.SUCCESS,
                    )
                    opts = self.model._meta
                    return HttpResponseRedirect(
                        reverse(
                            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                            args=[copy.pk],
                        )
                    )
        else:
            form = CopyTemplateForm(
                sites=sites, initial={"slug": default_slug, "name": template.name}
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Copy to my site",
            "subtitle": str(template),
            "opts": self.model._meta,
            "original": template,
            "form": form,
            "only_site": only[0] if len(only) == 1 else None,
            "sessions": template.plans.count(),
            "entries": template.schedule.count(),
            "has_view_permission": self.has_view_permission(request, template),
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.copy_template, context)

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

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "checkin_instrument" and field is not None:
            # checked by ProgrammeTemplate.clean(), which lists the allowed ids on an error
            field.help_text = (
                "The questionnaire participants answer each week: "
                f"{', '.join(checkin_instrument_ids())}. Leave blank for no weekly check-in."
            )
        return field

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
