"""Dated exchange rates over the API."""

from ninja import Router

router = Router(tags=["fx"])
