"""The audit log: who changed which money or credit fact, when, and from what to what."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    company = models.ForeignKey(
        "ledger.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="audit"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    actor_name = models.CharField(max_length=150)  # kept when the user is gone; 'system' for jobs
    channel = models.CharField(max_length=16)  # cli, api, web, import, job
    action = models.CharField(max_length=64)  # invoice.update, allocation.create, ...
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["company", "at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"
