"""Structured data re-scanned as ``key: value`` views (work in progress: no views yet)."""

from __future__ import annotations


def hint(norm: str) -> bool:
    """Whether ``norm`` may hold structured data worth a view (cheap)."""
    return False


def views(norm: str) -> list:
    """The views of ``norm`` (none yet)."""
    return []


def rescan(norm: str, view, detectors: list, run) -> None:
    """Re-scan one view with every detector (nothing yet)."""
