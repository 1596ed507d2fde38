from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from balm.accounts.models import Membership, Participant, ParticipantLink, Site, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class BalmUserAdmin(UserAdmin):
    inlines = (MembershipInline,)


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}  # noqa: RUF012 - Django admin API


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ("pseudonym", "site")
    list_filter = ("site",)


@admin.register(ParticipantLink)
class ParticipantLinkAdmin(admin.ModelAdmin):
    list_display = ("participant", "created_at", "expires_at", "revoked_at")
    readonly_fields = ("token_hash",)
