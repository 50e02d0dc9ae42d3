"""Where bundled read-only files live (rules, samples), for source checkouts and frozen builds.

``resources/`` sits beside ``app/`` in a checkout; a PyInstaller build copies it next to the
executable's ``app`` package (``sys._MEIPASS``). Code asks here instead of building paths itself.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["resource_path", "RESOURCES"]

_frozen = getattr(sys, "_MEIPASS", None)
RESOURCES = Path(_frozen) / "resources" if _frozen else Path(__file__).resolve().parents[2] / "resources"


def resource_path(*parts: str) -> Path:
    """Path of a bundled resource, e.g. ``resource_path("rules", "content_rules.json")``."""
    return RESOURCES.joinpath(*parts)
