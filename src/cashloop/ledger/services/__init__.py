"""Writes to the ledger: one transaction each; load → core → store → audit."""
