"""Customers, contacts, contracts and exchange rates over the API."""

from ninja import Router

router = Router(tags=["customers"])
