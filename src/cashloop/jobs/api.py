"""Background jobs over the API: the list and one job, for polling an import submitted with
`POST /api/imports/{kind}` and `background=true`.

The JSON is the CLI's (`cashloop jobs` / `cashloop jobs show ID --format json`), each listed job
with its `company`, messages (the error, the result's problems) in the request's language. Who
sees which job is the pages' rule (services.visible_jobs); a job one may not see is 404, as one
that does not exist. One job is read without touching the company table, so polling answers
while a large import holds it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema

from cashloop.core.problems import NotFound
from cashloop.jobs.display import translated_json
from cashloop.jobs.services import NO_JOB, job_for_user, recent_jobs
from cashloop.ledger.services.companies import company_by_code

router = Router(tags=["jobs"])

MAX_LIMIT = 500
JobId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class JobOut(Schema):
    id: int
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    progress_done: int = Field(description="rows read so far")
    progress_total: int | None = Field(description="rows in the file; null until known")
    created_at: str | None
    finished_at: str | None
    error: str | None = Field(description="why the job failed, in the request's language")
    result: dict[str, Any] | None = Field(
        description="an import's result: the JSON of POST /api/imports/{kind}")
    company: str


class JobDetailOut(JobOut):
    created_by: str | None
    started_at: str | None
    runner: str | None = Field(description="host:pid of the process that ran it")
    parameters: dict[str, Any]


class JobListOut(Schema):
    count: int
    items: list[JobOut]


class JobListQuery(Schema):
    status: Literal["queued", "running", "done", "failed"] | None = None
    company: str | None = Field(None, max_length=32, pattern=r"^[^\x00-\x1f]*$",
                                description="only this company's jobs (code)")
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=10**9)


@router.get("/jobs", summary="Recent background jobs you may see, newest first",
            response={200: JobListOut, 404: dict})
def list_jobs(request: HttpRequest, filters: Query[JobListQuery]) -> dict[str, Any]:
    company = company_by_code(filters.company) if filters.company else None
    page = recent_jobs(request.user, filters.status, company, filters.limit, filters.offset)
    return {"count": page.count, "items": [translated_json(job) for job in page.items]}


@router.get("/jobs/{job_id}", summary="One background job, with an import's result once done",
            response={200: JobDetailOut, 404: dict})
def get_job(request: HttpRequest, job_id: JobId) -> dict[str, Any]:
    job = job_for_user(request.user, job_id)
    if job is None:
        raise NotFound(NO_JOB, id=job_id)
    return translated_json(job, detail=True)
