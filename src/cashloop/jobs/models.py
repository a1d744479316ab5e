"""A job: work submitted by a user for a company, run later by a queue backend.

Invariant: a job goes queued → running → done | failed once; only the runner that moved it from
queued to running (an UPDATE that matches one row) writes its outcome. Its files (the uploaded
input, the rejected rows it produced) live in the database, so a worker on another machine needs
nothing but the database and the queue.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class JobStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    DONE = "done", "done"
    FAILED = "failed", "failed"


FINISHED = frozenset({JobStatus.DONE, JobStatus.FAILED})


class Job(models.Model):
    company = models.ForeignKey("ledger.Company", on_delete=models.CASCADE, related_name="+")
    # The company's code as submitted, so that a job is shown (the API's poll) without reading
    # the company table, which a large PostgreSQL import locks against readers.
    company_code = models.CharField(max_length=32, blank=True)
    kind = models.CharField(max_length=64)
    parameters = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress_done = models.PositiveBigIntegerField(default=0)  # rows
    progress_total = models.PositiveBigIntegerField(null=True, blank=True)  # None: not known yet
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True, default="")  # a message for people, never a traceback
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    runner = models.CharField(max_length=200, blank=True)  # "host:pid" of the process running it
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["company", "-created_at"], name="job_company_recent")]

    def __str__(self) -> str:
        return f"job {self.pk} {self.kind} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


class JobFile(models.Model):
    """A file a job reads (`input`) or writes (`rejected`), kept beside the job."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="files")
    purpose = models.CharField(max_length=32)
    name = models.CharField(max_length=255)
    content = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "purpose"], name="job_file_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose}: {self.name}"
