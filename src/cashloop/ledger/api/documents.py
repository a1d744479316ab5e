"""Invoices, payments, allocations, credit notes and disputes over the API."""

from ninja import Router

router = Router(tags=["invoices"])
