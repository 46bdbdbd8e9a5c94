"""The site operators' (Django staff) admin: accounts and their members."""

from django.contrib import admin

from funnel import services
from funnel.models import Account, Membership, MonthlyGoal, Worksheet, WorksheetChannel


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            services.channel_defaults_create(account=obj)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "account", "role"]
    list_filter = ["role", "account"]
    list_select_related = ["user", "account"]
    search_fields = ["user__username", "account__name"]


@admin.register(MonthlyGoal)
class MonthlyGoalAdmin(admin.ModelAdmin):
    list_display = ["account", "year", "month", "cv_count", "cv_rate"]
    list_filter = ["year"]
    list_select_related = ["account"]


class ChannelInline(admin.TabularInline):
    model = WorksheetChannel
    extra = 0


@admin.register(Worksheet)
class WorksheetAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "entry_date", "basis"]
    list_select_related = ["account"]
    inlines = [ChannelInline]
