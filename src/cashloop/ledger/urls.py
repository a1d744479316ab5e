"""Ledger pages: customers (customers.py) and invoices, payments (documents.py)."""

from cashloop.ledger.views import customers, documents

urlpatterns = [*customers.urlpatterns, *documents.urlpatterns]
