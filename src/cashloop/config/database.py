"""The database Cashloop uses: CASHLOOP_DATABASE_URL, or a SQLite file in the user's data folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import platformdirs

ENV_VAR = "CASHLOOP_DATABASE_URL"


def data_dir() -> Path:
    path = Path(os.environ.get("CASHLOOP_DATA_DIR") or platformdirs.user_data_dir("cashloop"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_url() -> str:
    return f"sqlite:///{data_dir() / 'cashloop.db'}"


def database_settings(url: str | None = None) -> dict[str, Any]:
    """Django DATABASES['default'] for a sqlite:/// or postgresql:// URL."""
    url = url or os.environ.get(ENV_VAR) or default_url()
    parsed = urlparse(url)
    scheme = parsed.scheme.split("+")[0]
    if scheme == "sqlite":
        # sqlite:////abs/path.db → '/abs/path.db'; sqlite:///rel.db → 'rel.db'
        name = unquote(url.split(":///", 1)[1]) if ":///" in url else ":memory:"
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name or ":memory:",
            "OPTIONS": {
                # WAL lets the web app read while an import writes; IMMEDIATE avoids upgrade deadlocks.
                # A 64 MB page cache per connection (the web server opens one per thread, 8 of
                # them): the reports read covering indexes, and the OS caches the file anyway.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA cache_size=-64000; PRAGMA temp_store=MEMORY; PRAGMA busy_timeout=30000;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
            "TEST": {"NAME": os.environ.get("CASHLOOP_TEST_SQLITE_NAME") or None},
        }
    if scheme in ("postgres", "postgresql", "pgsql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "cashloop",
            "USER": unquote(parsed.username or "") or "postgres",
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
            # Reports are a few grouped scans: JIT compilation costs more than it saves on them
            # (~150 ms a query at 1M invoices), and index reads are cheap on SSDs.
            "OPTIONS": {"options": "-c jit=off -c random_page_cost=1.1"},
        }
    raise ValueError(f"{ENV_VAR}: unsupported database URL {url!r} (use sqlite:/// or postgresql://)")
