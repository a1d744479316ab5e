"""Ledger pages, one module per concept."""
