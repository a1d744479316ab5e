"""Submitting, running and reading jobs.

`submit` stores a job (and its input files) and, once that is committed, hands its id to the
queue backend; `execute` is what a backend calls: it claims the job (queued → running, one row
updated or none), calls the kind's plain function and stores the outcome. A function reports a
refusal by raising JobFailed (its message is shown, translated); any other exception fails the
job with its one-line message, the traceback going to the log only.

Reading: `visible_jobs` is the one rule of who sees which job, for the pages, the API and the CLI;
`job_json` / `job_detail_json` are the CLI's JSON, which the API shows translated (jobs.display).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from cashloop.accounts.models import Membership, Role
from cashloop.core.problems import gettext_noop
from cashloop.jobs import backends
from cashloop.jobs.models import Job, JobFile, JobStatus
from cashloop.jobs.registry import kind_for, load
from cashloop.ledger.models import Company

logger = logging.getLogger(__name__)

INPUT = "input"
ERROR_CHARS = 2000
QUEUE_DOWN = gettext_noop("the job queue is not reachable; try again later")
ABANDONED = gettext_noop("the process running this job stopped before it ended; submit it again")
NO_JOB = gettext_noop("no job {id}")


class JobFailed(Exception):
    """A job function's refusal: `message` (English, translated where shown) and what it found."""

    def __init__(self, message: str, result: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message, self.result = message, result


@dataclass
class JobRun:
    """What a job function receives: its job and a progress callback."""

    job: Job
    backend: backends.Backend
    done: int = 0
    total: int | None = None

    @property
    def params(self) -> dict[str, Any]:
        return self.job.parameters

    @property
    def company(self) -> Company:
        return self.job.company

    @property
    def user(self) -> AbstractBaseUser | None:
        return self.job.created_by

    def progress(self, done: int, total: int | None) -> None:
        self.done, self.total = done, total
        self.backend.report_progress(self.job.pk, done, total)

    def file(self, purpose: str = INPUT) -> tuple[bytes, str] | None:
        """(content, name) of one of the job's files, or None."""
        found = JobFile.objects.filter(job=self.job, purpose=purpose).first()
        return (bytes(found.content), found.name) if found is not None else None

    def attach(self, purpose: str, name: str, content: bytes) -> None:
        JobFile.objects.update_or_create(job=self.job, purpose=purpose,
                                         defaults={"name": name[:255], "content": content})


def submit(kind: str, params: dict[str, Any], user: AbstractBaseUser | AnonymousUser | None,
           company: Company, files: Mapping[str, tuple[str, bytes]] | None = None) -> Job:
    """Store a queued job with its files; it is dispatched when the transaction commits."""
    kind_for(kind)  # an unknown kind is refused before anything is stored
    author = user if user is not None and getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        job = Job.objects.create(company=company, company_code=company.code, kind=kind,
                                 parameters=params, created_by=author)
        for purpose, (name, content) in (files or {}).items():
            JobFile.objects.create(job=job, purpose=purpose, name=name[:255], content=content)
        transaction.on_commit(partial(_dispatch, job.pk))
    return job


def _dispatch(job_id: int) -> None:
    try:
        backends.current().dispatch(job_id)
    except Exception:
        logger.exception("job %s could not be queued", job_id)
        Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
            status=JobStatus.FAILED, error=QUEUE_DOWN, finished_at=timezone.now())


def execute(job_id: int) -> None:
    """Run one queued job to its end; a job already taken (or finished) is left alone."""
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), runner=_runner())
    if not claimed:
        logger.info("job %s is not queued any more; skipped", job_id)
        return
    job = Job.objects.select_related("company", "created_by").get(pk=job_id)
    backend = backends.current()
    run = JobRun(job, backend)
    status, result, error = JobStatus.DONE, None, ""
    try:
        result = load(kind_for(job.kind).run)(run)
    except JobFailed as exc:
        status, result, error = JobStatus.FAILED, exc.result, exc.message
    except Exception as exc:
        logger.exception("job %s (%s) failed", job_id, job.kind)
        status, error = JobStatus.FAILED, f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
    with transaction.atomic():  # whoever sees the job finished sees all of its ending
        JobFile.objects.filter(job_id=job_id, purpose=INPUT).delete()  # read once; can be large
        Job.objects.filter(pk=job_id).update(
            status=status, result=result, error=error, finished_at=timezone.now(),
            progress_done=run.done, progress_total=run.total)
    backend.forget(job_id)


def _runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def recover_abandoned() -> list[int]:
    """Fail the jobs left running by a process of this machine that no longer exists (a web
    server restarted mid-import, a killed worker); their imports were rolled back with them.
    Runners on other machines are left to their own machine's recovery."""
    host = socket.gethostname()
    failed = []
    for job_id, runner in Job.objects.filter(status=JobStatus.RUNNING,
                                             runner__startswith=f"{host}:") \
            .values_list("pk", "runner"):
        pid = runner.rsplit(":", 1)[1]
        if pid.isdigit() and not _alive(int(pid)) and Job.objects.filter(
                pk=job_id, status=JobStatus.RUNNING, runner=runner).update(
                status=JobStatus.FAILED, error=ABANDONED, finished_at=timezone.now()):
            failed.append(job_id)
    return failed


def resume_queued() -> list[int]:
    """Hand the jobs still queued to the thread backend again (its queue is this process's
    memory, gone with a restart); a job is claimed once, so handing one twice is harmless."""
    backend = backends.current()
    if not isinstance(backend, backends.ThreadBackend):
        return []  # Redis keeps its own queue across restarts
    ids = list(Job.objects.filter(status=JobStatus.QUEUED).order_by("pk").values_list("pk", flat=True))
    for job_id in ids:
        _dispatch(job_id)
    return ids


def _visible(user: AbstractBaseUser | AnonymousUser | None) -> Q:
    """The one rule of who sees which jobs: a user sees the jobs of the companies they have a role
    in, a sales rep there only their own (their results name other reps' customers); an admin
    (superuser) sees every company's; the CLI (user None) acts as the install's operator.

    Read from the memberships by company id, never from the company table: a large PostgreSQL
    import drops its tables' foreign keys for the load, which locks that table against readers
    until it commits, and the pages and API polling that import's progress must not wait for it.
    """
    if user is None or getattr(user, "is_superuser", False):
        return Q()
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    roles = Membership.objects.filter(user=user)
    return (Q(company_id__in=roles.exclude(role=Role.SALES_REP).values("company_id"))
            | Q(company_id__in=roles.filter(role=Role.SALES_REP).values("company_id"),
                created_by=user))


def visible_jobs(user: AbstractBaseUser | AnonymousUser | None,
                 company: Company | None = None) -> QuerySet[Job]:
    """The jobs the user may see (see _visible), of one company or of all, newest first."""
    jobs = Job.objects.filter(_visible(user))
    return jobs.filter(company=company) if company is not None else jobs


def job_for_user(user: AbstractBaseUser | AnonymousUser | None, job_id: int) -> Job | None:
    """The job if the user may see it (as visible_jobs), read without touching the company table."""
    if not 0 < job_id < 2**63:  # beyond a bigint the database would refuse the query
        return None
    return Job.objects.filter(_visible(user), pk=job_id).select_related("created_by").first()


@dataclass(frozen=True)
class JobPage:
    """One page of a job list: the jobs shown and how many match in all."""

    count: int
    items: list[Job]


def recent_jobs(user: AbstractBaseUser | AnonymousUser | None, status: str | None = None,
                company: Company | None = None, limit: int = 50, offset: int = 0) -> JobPage:
    """The jobs page and API list: visible jobs, newest first, optionally of one status; two
    queries whatever the page's size."""
    jobs = visible_jobs(user, company)
    if status:
        jobs = jobs.filter(status=status)
    items = jobs.select_related("company", "created_by")[offset:offset + limit]
    return JobPage(count=jobs.count(), items=list(items))


def live_progress(job: Job) -> tuple[int, int | None]:
    """(rows done, rows in all or None): live from the backend while running, else as stored."""
    if job.status == JobStatus.RUNNING:
        live = backends.current().progress(job.pk)
        if live is not None:
            return live
    return job.progress_done, job.progress_total


def job_json(job: Job) -> dict[str, Any]:
    done, total = live_progress(job)
    return {
        "id": job.pk, "kind": job.kind, "status": job.status, "progress_done": done,
        "progress_total": total, "created_at": _iso(job.created_at),
        "finished_at": _iso(job.finished_at), "error": job.error or None, "result": job.result,
    }


def job_detail_json(job: Job) -> dict[str, Any]:
    return {**job_json(job), "company": company_code(job),
            "created_by": job.created_by.get_username() if job.created_by else None,
            "started_at": _iso(job.started_at), "runner": job.runner or None,
            "parameters": job.parameters}


def company_code(job: Job) -> str:
    """The job's company code, as stored with it (read from the company for rows made before)."""
    return job.company_code or job.company.code


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


def job_file(job: Job, purpose: str) -> JobFile | None:
    return JobFile.objects.filter(job=job, purpose=purpose).first()


def has_file(job: Job, purpose: str) -> bool:
    return JobFile.objects.filter(job=job, purpose=purpose).exists()
