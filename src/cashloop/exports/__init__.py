"""Exports: the ledger out again in the very shape the importer reads (`cashloop.core.importing`).

Invariant: an export of invoices, customers or payments re-imports with no --map and changes
nothing — into the same company it is `unchanged`, into a new company (customers, then invoices,
then payments) it builds a ledger whose export is byte-identical. What the import format cannot
carry (a payment split over several invoices, credit notes' allocations, …) is counted, named and
documented (`limits`), never silently dropped.

sheets.py   the rows of each kind, streamed set-based through the user's scope
formats.py  CSV (UTF-8 with BOM, CRLF), XLSX (write-only) and JSON writers of a sheet
limits.py   what a sheet cannot carry, counted per kind
run.py      one export: a kind, a format, a company and a user → a stream or a file
downloads.py  an export as an HTTP attachment, for the API and the list pages
cli.py api.py   thin adapters (the list pages' views are the ledger's, beside their filters)
"""
