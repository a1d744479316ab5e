"""The Celery application: the broker is CASHLOOP_QUEUE_URL (Redis), the one task runs a Job.

Messages carry only the job's id; everything else (parameters, files, outcome) is in the
database, so any worker sharing the database and the Redis may take any job. Imported only by
the Celery backend and by `cashloop worker`, never at start-up of other commands.
"""

from __future__ import annotations

from celery import Celery

from cashloop.jobs.backends import QUEUE, TASK_NAME, queue_url

celery_app = Celery("cashloop")
celery_app.conf.update(
    broker_url=queue_url(),
    task_default_queue=QUEUE,
    task_ignore_result=True,  # the outcome is the Job row; no result backend needed
    # One job at a time per worker process: a long import must not hold other jobs back.
    worker_prefetch_multiplier=1,
    # Acknowledged on receipt: a job is claimed once in the database anyway (queued → running),
    # and a redelivered long import would only find it running.
    task_acks_late=False,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)


@celery_app.task(name=TASK_NAME)
def run_job(job_id: int) -> None:
    from cashloop.jobs.services import execute

    execute(job_id)
