"""Background jobs: a Job table, a queue backend (threads in-process, or Celery with Redis) and
the `cashloop worker` / `cashloop jobs` commands."""
