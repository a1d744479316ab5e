"""Paging of the plain list pages (jobs, audit log) that show `web/pager.html`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

MAX_PAGE = 10**6


def page_number(text: str | None) -> int:
    """The page asked for (`?page=`), 1 when absent or unreadable."""
    try:
        return max(1, min(int(text or 1), MAX_PAGE))
    except ValueError:
        return 1


def pager(page_no: int, count: int, size: int, kept: dict[str, str]) -> dict[str, Any]:
    """What `web/pager.html` reads: the page, the number of pages, and the links' queries
    (`kept`: the filters each link carries)."""
    pages = max(1, -(-count // size))
    return {
        "page_no": page_no, "pages": pages,
        "prev_query": urlencode({**kept, "page": page_no - 1}) if page_no > 1 else None,
        "next_query": urlencode({**kept, "page": page_no + 1}) if page_no < pages else None,
    }
