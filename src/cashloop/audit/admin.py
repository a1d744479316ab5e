"""The audit log in the admin: searchable and filterable, never editable by anyone."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from cashloop.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_name", "channel", "action", "object_type", "object_repr", "company")
    list_filter = ("channel", "object_type", "action", "company")
    search_fields = ("object_repr", "object_id", "actor_name", "action")
    date_hierarchy = "at"
    list_select_related = ("company",)
    readonly_fields = ("company", "at", "actor", "actor_name", "channel", "action", "object_type",
                       "object_id", "object_repr", "before", "after")
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
