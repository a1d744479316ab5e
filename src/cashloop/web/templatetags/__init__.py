"""Template filters shared by every app's pages."""
