"""WSGI entry point (used by `cashloop serve`)."""

import logging
import os

from django.core.signals import request_started
from django.core.wsgi import get_wsgi_application
from django.db import DatabaseError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cashloop.config.settings")
application = get_wsgi_application()


def _recover_jobs(**_kwargs: object) -> None:
    """Once per server process, at its first request (`serve` has migrated by then): jobs that a
    previous process left running are failed, and queued ones are run again (thread backend)."""
    request_started.disconnect(_recover_jobs)
    from cashloop.jobs.services import recover_abandoned, resume_queued

    try:
        recover_abandoned()
        resume_queued()
    except DatabaseError as exc:  # never the reason a page fails
        logging.getLogger(__name__).warning("jobs not recovered: %s", exc)


request_started.connect(_recover_jobs)
