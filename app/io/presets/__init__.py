"""Format presets for the real exports analysts hold, auto-detected from content.

Each module defines one :class:`~app.io.presets.base.Preset`; :data:`REGISTRY` lists them in
detection order. See ``../shared/log-formats.md`` for the public schemas they follow.
"""

from .base import Preset, RecordError, detect, get, names, REGISTRY  # noqa: F401
