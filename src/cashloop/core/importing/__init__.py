"""Importing what ERPs export: bytes → rows (read) → fields (columns) → records (parse) → checks.

Pure: no Django, no database. Every problem carries the physical line in the file (header = 1),
the column, the value and a stable code, so that adapters can show and store it. Rows stream:
nothing here keeps a whole file's records in memory.
"""
