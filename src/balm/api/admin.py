from django.contrib import admin, messages

from balm.api.actions import revoke_api_token
from balm.api.models import ApiToken
from balm.web.admin_site import SuperuserOnlyAdmin, balm_admin


@admin.register(ApiToken, site=balm_admin)
class ApiTokenAdmin(SuperuserOnlyAdmin):
    """Listing and revoking only (superusers); nobody makes a token here. Staff make and revoke
    their own on ``/account/tokens/`` ("API tokens"); ``balm manage issue_api_token`` issues one
    for anyone (participants included) and ``balm manage revoke_api_token`` revokes one."""

    list_display = ("name", "user", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_filter = ("revoked_at",)
    readonly_fields = (
        "user",
        "name",
        "token_hash",
        "created_at",
        "created_by",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    search_fields = ("name", "user__username")
    actions = ("revoke",)

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        for token in queryset:
            revoke_api_token(token=token, by=request.user)
        messages.success(request, f"Revoked {queryset.count()} token(s).")
