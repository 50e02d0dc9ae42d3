"""Errors that carry a message fit to show an analyst as-is (CLI line or dialog text).

Everything the user can cause (a bad file, a case from a newer version, a wrong mapping) is
raised as a subclass of :class:`HydrascopeError`; the CLI prints ``str(err)`` and exits 2, the
window shows it in a dialog. Anything else is a bug and keeps its traceback.
"""

__all__ = ["HydrascopeError", "CaseError", "InputError", "ImportCancelled"]


class HydrascopeError(Exception):
    """A problem the analyst can act on; the message is the whole explanation."""


class CaseError(HydrascopeError):
    """The case file cannot be opened or used (newer schema, not a case, corrupt)."""


class InputError(HydrascopeError):
    """An input file cannot be read at all (wrong format, missing required column, truncated)."""


class ImportCancelled(HydrascopeError):
    """The import was cancelled; the case was rolled back to its state before the import."""
