"""Queue backends, chosen by CASHLOOP_QUEUE_URL: where a submitted job runs, and where its live
progress is kept while it runs.

- `thread://` (or unset; `thread://?workers=N`): a small thread pool inside the web server's
  process, the default of the embedded SQLite install. One worker on SQLite, where imports take
  the database's write lock and a second one would only wait for it; two otherwise.
- `redis://host:6379/N`: Celery with Redis as the broker; `cashloop worker` runs the jobs, on as
  many machines as share the database and the Redis.

Live progress never goes through the database: an import holds its transaction (on SQLite, the
write lock) until it ends, so progress lives in this process's memory (threads) or in Redis.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Protocol
from urllib.parse import parse_qs, urlparse

from django.conf import settings
from django.db import connection, connections

from cashloop.core.problems import Invalid, gettext_noop

logger = logging.getLogger(__name__)

TASK_NAME = "cashloop.jobs.run"
QUEUE = "cashloop"
PROGRESS_SECONDS = 7 * 24 * 3600  # a crashed worker's progress key expires by itself
Progress = tuple[int, int | None]


class Backend(Protocol):
    url: str

    def dispatch(self, job_id: int) -> None: ...

    def report_progress(self, job_id: int, done: int, total: int | None) -> None: ...

    def progress(self, job_id: int) -> Progress | None: ...

    def forget(self, job_id: int) -> None: ...


class ThreadBackend:
    """Jobs run by a thread pool of this process; progress kept in its memory."""

    def __init__(self, url: str, workers: int) -> None:
        self.url, self.workers = url, workers
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._progress: dict[int, Progress] = {}

    def dispatch(self, job_id: int) -> None:
        with self._lock:
            if self._pool is None:  # created on the first job: commands that submit none pay nothing
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="cashloop-job")
            pool = self._pool
        pool.submit(_run_in_thread, job_id)

    def report_progress(self, job_id: int, done: int, total: int | None) -> None:
        self._progress[job_id] = (done, total)

    def progress(self, job_id: int) -> Progress | None:
        return self._progress.get(job_id)

    def forget(self, job_id: int) -> None:
        self._progress.pop(job_id, None)


def _run_in_thread(job_id: int) -> None:
    from cashloop.jobs.services import execute

    try:
        execute(job_id)
    except Exception:  # execute() records failures itself; this is a bug in recording them
        logger.exception("job %s could not be run", job_id)
    finally:
        connections.close_all()  # this thread's own connections; the pool thread lives on


class CeleryBackend:
    """Jobs sent to Celery through Redis; progress kept in the same Redis database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._redis = None

    def dispatch(self, job_id: int) -> None:
        from cashloop.jobs.celery_app import celery_app

        # This backend's own URL (the app's broker is fixed when it is first imported). A few
        # quick retries, then the caller marks the job failed: a page must not hang on a broker
        # that is down.
        with celery_app.connection_for_write(self.url) as broker:
            celery_app.send_task(TASK_NAME, args=[job_id], queue=QUEUE, connection=broker,
                                 retry=True, retry_policy={"max_retries": 2, "interval_start": 0,
                                                           "interval_step": 0.5, "interval_max": 1})

    def _client(self):  # type: ignore[no-untyped-def]
        if self._redis is None:
            import redis

            self._redis = redis.Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)
        return self._redis

    @staticmethod
    def _key(job_id: int) -> str:
        return f"cashloop:job:{job_id}:progress"

    def report_progress(self, job_id: int, done: int, total: int | None) -> None:
        import redis

        try:
            self._client().set(self._key(job_id), f"{done} {'' if total is None else total}",
                               ex=PROGRESS_SECONDS)
        except redis.RedisError as exc:  # progress is a courtesy: it never stops the job
            logger.warning("job %s: progress not stored (%s)", job_id, exc)

    def progress(self, job_id: int) -> Progress | None:
        import redis

        try:
            raw = self._client().get(self._key(job_id))
        except redis.RedisError:
            return None
        if not raw:
            return None
        done, _sep, total = raw.decode().partition(" ")
        return int(done), int(total) if total else None

    def forget(self, job_id: int) -> None:
        import redis

        with contextlib.suppress(redis.RedisError):
            self._client().delete(self._key(job_id))


def queue_url() -> str:
    return getattr(settings, "CASHLOOP_QUEUE_URL", "") or "thread://"


@lru_cache(maxsize=8)
def backend_for(url: str) -> Backend:
    """The backend of a CASHLOOP_QUEUE_URL; one per URL and process."""
    parsed = urlparse(url)
    if parsed.scheme == "thread":
        workers = parse_qs(parsed.query).get("workers", [""])[0]
        if workers and not workers.isdigit():
            raise Invalid(gettext_noop("CASHLOOP_QUEUE_URL: workers must be a number, not {value}"),
                          value=repr(workers))
        default = 1 if connection.vendor == "sqlite" else 2
        return ThreadBackend(url, max(1, int(workers)) if workers else default)
    if parsed.scheme in ("redis", "rediss"):
        return CeleryBackend(url)
    raise Invalid(gettext_noop("CASHLOOP_QUEUE_URL: unsupported queue {value} (use thread:// or "
                               "redis://host:6379/0)"), value=repr(url))


def current() -> Backend:
    return backend_for(queue_url())
