"""`cashloop worker [--concurrency N]` runs queued jobs (Celery on CASHLOOP_QUEUE_URL's Redis);
`cashloop jobs [--limit N]` lists recent jobs and `cashloop jobs show ID` shows one."""

from __future__ import annotations

import os

import typer

from cashloop.config.console import FORMAT_OPTION, OutputFormat, emit, fail, print_table

jobs_app = typer.Typer(help="Recent background jobs (imports from the web page).",
                       invoke_without_command=True)


def _progress_text(item: dict) -> str:  # type: ignore[type-arg]
    total = item["progress_total"]
    return f"{item['progress_done']}/{total}" if total is not None else str(item["progress_done"])


@jobs_app.callback()
def jobs(
    ctx: typer.Context,
    limit: int = typer.Option(20, "--limit", min=1, max=1000),
    company: str = typer.Option(None, "--company", help="company code (default: the default company)"),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """List recent jobs, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    from cashloop.core.problems import Refusal
    from cashloop.jobs.services import job_json, visible_jobs
    from cashloop.ledger.services.companies import company_by_code

    try:
        owner = company_by_code(company)
    except Refusal as exc:  # an unknown --company: a message, never a traceback
        fail(exc.message, payload={"code": exc.code, "message": exc.message, "problems": []},
             fmt=fmt)
        return
    items = [job_json(j) for j in visible_jobs(None, owner)[:limit]]
    emit(fmt, items, lambda: print_table(
        ["id", "kind", "status", "progress", "created_at", "finished_at", "error"],
        [[i["id"], i["kind"], i["status"], _progress_text(i), (i["created_at"] or "")[:19],
          (i["finished_at"] or "")[:19], (i["error"] or "")[:60]] for i in items]))


@jobs_app.command("show")
def show(job_id: int = typer.Argument(..., help="the job's id"),
         fmt: OutputFormat = FORMAT_OPTION) -> None:
    """One job with its parameters and result."""
    from cashloop.jobs.services import NO_JOB, job_detail_json, job_for_user

    job = job_for_user(None, job_id)  # the CLI acts as the install's operator
    if job is None:
        message = NO_JOB.format(id=job_id)
        fail(message, payload={"code": "not_found", "message": message, "problems": []}, fmt=fmt)
        return
    item = job_detail_json(job)

    def table() -> None:
        for key in ("id", "kind", "company", "status", "created_by", "created_at", "started_at",
                    "finished_at", "error"):
            typer.echo(f"{key}: {'' if item[key] is None else item[key]}")
        typer.echo(f"progress: {_progress_text(item)}")
        result = item["result"] or {}
        counts = {k: result[k] for k in ("status", "rows", "created", "updated", "unchanged",
                                         "rejected", "warnings") if k in result}
        if counts:
            typer.echo("result: " + ", ".join(f"{k} {v}" for k, v in counts.items()))

    emit(fmt, item, table)


def worker(
    concurrency: int = typer.Option(
        None, "--concurrency", min=1,
        help="jobs run at once by this worker (processes; default 1 on SQLite, else the CPUs)"),
    loglevel: str = typer.Option("INFO", "--loglevel"),
) -> None:
    """Run queued jobs from CASHLOOP_QUEUE_URL (redis://…); start one on each machine wanted."""
    from django.db import DatabaseError, connection

    from cashloop.jobs.backends import QUEUE, queue_url
    from cashloop.jobs.services import recover_abandoned

    url = queue_url()
    if not url.startswith(("redis://", "rediss://")):
        fail("cashloop worker needs CASHLOOP_QUEUE_URL=redis://host:6379/0; with thread:// "
             "(the default) the web server runs jobs itself")
    # SQLite lets one writer in at a time: more processes would only wait for its lock.
    default = 1 if connection.vendor == "sqlite" else (os.cpu_count() or 1)
    try:
        abandoned = recover_abandoned()  # left running by a worker of this machine that died
    except DatabaseError as exc:
        fail(f"the database is not ready ({str(exc)[:200]}); run `cashloop init` first")
        return
    for job_id in abandoned:
        typer.echo(f"job {job_id}: its worker stopped before it ended; marked failed", err=True)
    connection.close()  # the worker's processes open their own
    from cashloop.jobs.celery_app import celery_app

    celery_app.worker_main(["worker", f"--concurrency={concurrency or default}",
                            f"--loglevel={loglevel}", f"--queues={QUEUE}", "--without-gossip",
                            "--without-mingle", "--hostname=cashloop@%h"])


def register(app: typer.Typer) -> None:
    app.add_typer(jobs_app, name="jobs")
    app.command("worker")(worker)
