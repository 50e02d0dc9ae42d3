"""Errors of the detection engine, as analyst-readable :class:`HydrascopeError` subclasses."""

from app.core.errors import HydrascopeError

__all__ = ["DetectionError", "AnalysisCancelled"]


class DetectionError(HydrascopeError):
    """The analysis cannot run on this case (e.g. it holds no events)."""


class AnalysisCancelled(DetectionError):
    """The analysis was cancelled; the results of the previous run are still in the case."""
