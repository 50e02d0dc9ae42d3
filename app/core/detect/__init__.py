"""Detection engine: find coordinated account campaigns in a case and explain each one.

Public entry points: :func:`analyze` runs the analysis and stores results in the case;
:func:`list_clusters`, :func:`suspicious_accounts` and :func:`mixed_accounts` read them back.
Weights and thresholds come from :func:`load_config` (``resources/rules/detection.json``).
"""

from .api import (
    AnalysisSummary,
    ClusterInfo,
    analysis_is_current,
    analyze,
    last_config,
    list_clusters,
    mixed_accounts,
    release_timestamp,
    suspicious_accounts,
)
from .config import DetectionConfig, load_config
from .errors import AnalysisCancelled, DetectionError

__all__ = ["analyze", "list_clusters", "suspicious_accounts", "mixed_accounts",
           "analysis_is_current", "release_timestamp", "last_config", "AnalysisSummary",
           "ClusterInfo", "DetectionConfig", "load_config", "AnalysisCancelled",
           "DetectionError"]
