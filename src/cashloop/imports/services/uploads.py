"""Uploaded files kept between the page's preview and its confirmation, and rejected-row files
of imports that came through the page or the API, under the data folder's `imports/`."""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from cashloop.config.database import data_dir

KEEP_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_SAFE = re.compile(r"[^\w.\-]+")


def imports_dir(sub: str) -> Path:
    path = data_dir() / "imports" / sub
    path.mkdir(parents=True, exist_ok=True)
    return path


def safe_name(name: str) -> str:
    return _SAFE.sub("_", Path(name).name)[:120] or "upload.csv"


def save_upload(data: bytes, name: str) -> str:
    """Keep an uploaded file; returns the token that finds it again. Old uploads are removed."""
    folder = imports_dir("uploads")
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    (folder / f"{token}__{safe_name(name)}").write_bytes(data)
    return token


def load_upload(token: str) -> tuple[bytes, str] | None:
    """(bytes, original name) of a kept upload, or None when the token is unknown or expired."""
    if not _TOKEN.match(token or ""):
        return None
    for path in imports_dir("uploads").glob(f"{token}__*"):
        return path.read_bytes(), path.name.split("__", 1)[1]
    return None


def discard_upload(token: str) -> None:
    if _TOKEN.match(token or ""):
        for path in imports_dir("uploads").glob(f"{token}__*"):
            path.unlink(missing_ok=True)


def rejected_path_for(name: str) -> Path:
    stem = Path(safe_name(name)).stem
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return imports_dir("rejected") / f"{stamp}-{secrets.token_hex(4)}-{stem}.rejected.csv"
