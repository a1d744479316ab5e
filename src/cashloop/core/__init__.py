"""The pure finance core: no Django, no database, no clock, no network."""
