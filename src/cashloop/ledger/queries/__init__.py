"""Set-based reads of the ledger, shared by pages, API, CLI and exports."""
