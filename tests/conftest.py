"""Shared fixtures. Integration tests use the real database named by CASHLOOP_DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FILES = Path(__file__).resolve().parent / "files"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def company(db):
    from cashloop.ledger.services.companies import ensure_company

    obj, _ = ensure_company("ACME", "Acme 制造有限公司", "CNY", make_default=True)
    return obj
