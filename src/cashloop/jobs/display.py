"""A job as people read it, on pages and in the API: its status, its error and its result's
messages in the active language. The CLI keeps `services.job_json` as it is: English.

A job's error is an English message marked with `gettext_noop` (JobFailed, QUEUE_DOWN …), or the
one-line text of an unexpected exception, which has no translation and is shown as it is. How a
kind's result is translated is the kind's own business (`JobKind.result_translated`).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from cashloop.core.problems import gettext_noop
from cashloop.jobs.models import Job, JobStatus
from cashloop.jobs.registry import kinds, load
from cashloop.jobs.services import company_code, job_detail_json, job_json

STATUS_LABELS = {
    JobStatus.QUEUED: gettext_noop("Queued"),
    JobStatus.RUNNING: gettext_noop("Running"),
    JobStatus.DONE: gettext_noop("Done"),
    JobStatus.FAILED: gettext_noop("Failed"),
}


def status_text(status: str) -> str:
    label = STATUS_LABELS.get(status)  # type: ignore[call-overload]
    return gettext(label) if label else status


def error_text(job: Job) -> str:
    """The job's error in the active language ("" when it has none)."""
    return gettext(job.error) if job.error else ""


def kind_text(job: Job) -> str:
    kind = kinds().get(job.kind)
    return gettext(kind.label) if kind else job.kind


def translated_json(job: Job, detail: bool = False) -> dict[str, Any]:
    """`job_json` (or `job_detail_json`) with the error and the result's messages translated,
    and the company named (a list spans the companies the user may read)."""
    body = job_detail_json(job) if detail else {**job_json(job), "company": company_code(job)}
    body["error"] = error_text(job) or None
    kind = kinds().get(job.kind)
    if body["result"] is not None and kind is not None and kind.result_translated:
        body["result"] = load(kind.result_translated)(body["result"])
    return body
