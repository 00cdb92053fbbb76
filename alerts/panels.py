from __future__ import annotations


def register() -> None:
    """Placeholder: filled in by the web UI work."""
