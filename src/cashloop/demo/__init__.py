"""The demo company: a deterministic story (story.py, pure) and its writer (writer.py)."""
