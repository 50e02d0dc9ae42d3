"""One documented set of detection weights and thresholds, loaded from a JSON file.

Detection quality is tuned by people who are not programmers, and the analysis must be
reproducible: every knob lives in ``resources/rules/detection.json`` (explained key by key in
``docs/detection.md``), a case can carry its own copy, and each analysis run stores the exact
values it used. Unknown or mistyped keys are an error rather than silently ignored.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from app.core.errors import InputError
from app.core.resources import resource_path

__all__ = ["DetectionConfig", "load_config", "DEFAULT_CONFIG_PATH", "FAMILIES", "SIGNAL_FAMILY"]

DEFAULT_CONFIG_PATH = resource_path("rules", "detection.json")

#: independent evidence families; a cluster is flagged only when min_families of them agree
FAMILIES = ("infrastructure", "content", "timing", "cohort")

#: cluster signal -> family ("volume", "structure" and "habit" add to the score but never
#: corroborate: office hours are as regular as a campaign's shifts)
SIGNAL_FAMILY = {
    "size": "volume",
    "link_density": "structure",
    "capability_concentration": "content",
    "cot_rate": "content",
    "template_sharing": "content",
    "infra_sharing": "infrastructure",
    "lockstep": "timing",
    "hydra_volume": "volume",
    "cohort": "cohort",
    "post_release_ramp": "timing",
    "synchrony": "timing",
    "shift_pattern": "habit",
}


def _weights(**kw: float) -> dict[str, float]:
    return dict(kw)


@dataclass(frozen=True)
class DetectionConfig:
    """Weights and thresholds of one analysis (see docs/detection.md for each key)."""

    lockstep_bucket_s: int = 300
    lockstep_min_count: int = 5
    lockstep_saturation: int = 20
    lockstep_min_jaccard: float = 0.2
    lockstep_group_cap: int = 12
    cohort_window_h: float = 48.0
    cohort_new_p: float = 0.05
    shift_hours: int = 8
    segment_sample_per_account: int = 12
    share_sample_per_account: int = 160
    ring_k: int = 2
    link_values_per_account: int = 8
    content_values_per_account: int = 8
    content_link_budget: int = 2_000_000
    infra_cap: int = 500
    infra_pool_min: int = 3
    single_source_factor: float = 0.25
    content_cap: int = 100000
    link_weights: dict[str, float] = field(default_factory=lambda: _weights(
        ip=1.0, prefix=0.6, ua=0.4, org=1.0, api_key=2.0, content=1.0, lockstep=2.0, cohort=0.3))
    leiden_iterations: int = 3
    leiden_resolution: float = 1.0
    keep_whole_component: int = 30
    min_cluster_accounts: int = 3
    min_flag_accounts: int = 5
    exclusive_share: float = 0.8
    template_member_share: float = 0.1
    core_min_share: float = 0.1
    ally_share: float = 0.3
    signal_weights: dict[str, float] = field(default_factory=lambda: _weights(
        size=0.4, link_density=0.4, capability_concentration=0.8, cot_rate=0.8,
        template_sharing=1.2, infra_sharing=0.8, lockstep=1.2, hydra_volume=0.6, cohort=0.6,
        post_release_ramp=0.6, shift_pattern=0.3, synchrony=1.0))
    family_threshold: dict[str, float] = field(default_factory=lambda: _weights(
        infrastructure=0.3, content=0.3, timing=0.3, cohort=0.4))
    shift_kl_full: float = 1.0
    sync_bucket_s: int = 20
    sync_ratio_full: float = 3.0
    sync_jitter_s: int = 3600
    sync_prior_pairs: float = 20.0
    min_families: int = 2
    cluster_threshold: float = 0.6
    account_threshold: float = 0.5
    account_infra: dict[str, float] = field(default_factory=lambda: _weights(
        ip=1.0, prefix=1.0, ua=0.0, org=1.0, api_key=1.0))
    campaign_share_full: float = 0.3
    member_min_share: float = 0.15
    mixed_min_share: float = 0.02
    mixed_max_share: float = 0.5
    mixed_volume_factor: float = 5.0
    attach_min_share: float = 0.3
    outsider_min_segments: int = 3
    member_min_segments: int = 2
    mixed_min_events: int = 50

    def to_json(self) -> str:
        """The configuration as JSON (stored with each analysis run)."""
        return json.dumps(asdict(self), sort_keys=True)

    def with_(self, **changes) -> "DetectionConfig":
        """A copy with some values changed (dict values are merged, not replaced)."""
        merged = {}
        for key, value in changes.items():
            current = getattr(self, key)
            merged[key] = {**current, **value} if isinstance(current, dict) else value
        return replace(self, **merged)


def load_config(path: str | Path | None = None) -> DetectionConfig:
    """Read a detection config; keys absent from the file keep their defaults.

    Parameters
    ----------
    path : path-like, optional
        A JSON file; the bundled ``resources/rules/detection.json`` when omitted.

    Raises
    ------
    InputError
        The file cannot be read, is not JSON, or has an unknown key or a bad value.
    """
    path = Path(path) if path is not None else DEFAULT_CONFIG_PATH
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read detection config ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: a detection config must be a JSON object")
    known = {f.name: f for f in fields(DetectionConfig)}
    defaults = DetectionConfig()
    values = {}
    for key, value in data.items():
        if key.startswith("_"):
            continue
        if key not in known:
            raise InputError(f"{path}: unknown detection setting {key!r}")
        current = getattr(defaults, key)
        if isinstance(current, dict):
            if not isinstance(value, dict) or set(value) - set(current):
                bad = sorted(set(value) - set(current)) if isinstance(value, dict) else value
                raise InputError(f"{path}: {key} has unknown entries {bad!r}")
            value = {**current, **{k: float(v) for k, v in value.items()}}
        elif not isinstance(value, (int, float)) or isinstance(value, bool):
            raise InputError(f"{path}: {key} must be a number, got {value!r}")
        values[key] = type(current)(value) if not isinstance(current, dict) else value
    return replace(defaults, **values)
