"""Import batches, the problems found in them, and saved column mappings."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SavedMapping(models.Model):
    """A named column mapping (field → column) reused with `--mapping NAME`."""

    company = models.ForeignKey("ledger.Company", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)  # invoices, customers, payments
    name = models.CharField(max_length=100)
    columns = models.JSONField(default=dict)  # {"number": "invoiceNumber", ...}
    date_format = models.CharField(max_length=32, blank=True)
    encoding = models.CharField(max_length=32, blank=True)
    currency = models.CharField(max_length=3, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "kind", "name"], name="mapping_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


class ImportBatch(models.Model):
    company = models.ForeignKey("ledger.Company", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)
    file_name = models.CharField(max_length=500)
    file_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=16)  # saved, rejected, partial, unchanged
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    rows_read = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    problem_count = models.PositiveIntegerField(default=0)  # all found; at most PROBLEM_LIMIT kept
    encoding = models.CharField(max_length=32, blank=True)
    date_format = models.CharField(max_length=32, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    mapping = models.JSONField(default=dict)  # {field: column} as used
    rejected_file = models.CharField(max_length=1000, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} ({self.status})"


class ImportProblem(models.Model):
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="problems")
    line = models.PositiveIntegerField(null=True)  # physical line in the file, header = 1
    column = models.CharField(max_length=200, blank=True)
    field = models.CharField(max_length=64, blank=True)
    value = models.CharField(max_length=500, blank=True)
    code = models.CharField(max_length=64)
    message = models.CharField(max_length=1000)  # English, filled in (the CLI shows it as is)
    # The English template and its parameters, so that pages and the API show a past batch's
    # problems in the reader's language; empty for batches saved before they were kept.
    template = models.CharField(max_length=1000, blank=True, default="")
    params = models.JSONField(default=list, blank=True)  # [[name, value], ...]
    severity = models.CharField(max_length=8)

    class Meta:
        ordering = ["line", "id"]
