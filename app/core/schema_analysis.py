"""Result tables of the detection engine, stored in the case beside the events they describe.

Detection output is evidence: an analyst mails the case file to a colleague and the clusters,
their per-signal "why", the per-account features and the run that produced them travel with it.
The tables are defined on :data:`app.core.schema.metadata` (imported at the end of
:mod:`app.core.schema`) so a new case is created with them. Every table is rewritten as a whole
by one analysis run inside one transaction, so a cancelled or failed run leaves the previous
results untouched, and ``analysis_runs.data_version`` says which import state they describe.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, Table, Text

from .schema import metadata

__all__ = [
    "analysis_runs",
    "account_features",
    "clusters",
    "cluster_members",
    "cluster_signals",
    "mixed_accounts",
    "ANALYSIS_TABLES",
    "FEATURE_COLUMNS",
]

#: one row per completed analysis; the newest row describes the stored results
analysis_runs = Table(
    "analysis_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("started_at", Integer, nullable=False),  # UTC epoch ms
    Column("finished_at", Integer, nullable=False),
    Column("data_version", Text),  # meta data_version the results were computed from
    Column("config", Text, nullable=False),  # JSON of the DetectionConfig used
    Column("code_version", Text, nullable=False),
    Column("accounts", Integer, nullable=False),
    Column("events", Integer, nullable=False),
    Column("clusters", Integer, nullable=False),
    Column("flagged", Integer, nullable=False),
    Column("suspicious", Integer, nullable=False),
    Column("timings", Text, nullable=False),  # JSON: step -> seconds
)

#: per-account features (name, SQL type) in the order they are stored
FEATURE_COLUMNS: tuple[tuple[str, type], ...] = (
    # volume
    ("events", Integer),
    ("active_days", Integer),
    ("active_hours", Integer),
    ("events_per_active_hour", Float),
    ("input_tokens", Integer),
    ("output_tokens", Integer),
    ("output_input_ratio", Float),
    # timing
    ("hour_entropy", Float),  # hour-of-day entropy, 0 (one hour) .. 1 (uniform over 24 h)
    ("gap_cv", Float),  # coefficient of variation of inter-arrival gaps (low = metronome)
    ("busiest_shift_share", Float),  # share of events inside the busiest 8-hour window
    ("first_seen", Integer),  # UTC epoch ms
    ("last_seen", Integer),
    ("age_days", Float),  # days between the case's first event and this account's first event
    # infrastructure
    ("distinct_ips", Integer),
    ("distinct_prefixes", Integer),
    ("distinct_uas", Integer),
    ("ip_sharers", Float),  # mean number of other accounts on each of its IPs
    ("prefix_sharers", Float),
    ("ua_sharers", Float),
    # content
    ("cap_other", Float),
    ("cap_coding", Float),
    ("cap_math", Float),
    ("cap_reasoning", Float),
    ("cap_agentic", Float),
    ("cap_creative", Float),
    ("cot_rate", Float),
    ("templates", Integer),  # distinct template families
    ("template_entropy", Float),  # normalised 0..1
    ("shared_template_share", Float),  # share of prompts whose template others also use
    # model targeting
    ("newest_model_share", Float),
    ("post_release_ramp", Float),  # 0.5 flat, 1 = all activity after the release date
)

account_features = Table(
    "account_features",
    metadata,
    Column("account_id", Integer, primary_key=True),
    *(Column(name, kind) for name, kind in FEATURE_COLUMNS),
)

#: candidate clusters (communities of the linkage graph with at least min_accounts members)
clusters = Table(
    "clusters",
    metadata,
    Column("id", Integer, primary_key=True),  # 1 = highest score
    Column("accounts", Integer, nullable=False),
    Column("events", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("flagged", Integer, nullable=False),
    Column("families", Text, nullable=False),  # comma list of corroborating families
    Column("reasons", Text, nullable=False),  # JSON list of human-readable reasons
)

cluster_members = Table(
    "cluster_members",
    metadata,
    Column("account_id", Integer, primary_key=True),
    Column("cluster_id", Integer, nullable=False),
    Column("campaign_share", Float, nullable=False),  # share of its events that look like the cluster's campaign
    Column("score", Float, nullable=False),  # account-level score
    Column("mixed", Integer, nullable=False),  # 1: a legitimate account relaying part of it
    Index("ix_cluster_members_cluster", "cluster_id"),
)

cluster_signals = Table(
    "cluster_signals",
    metadata,
    Column("cluster_id", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("family", Text, nullable=False),
    Column("value", Float, nullable=False),
    Column("contribution", Float, nullable=False),
    Column("detail", Text, nullable=False),
    Index("ix_cluster_signals_cluster", "cluster_id", "name", unique=True),
)

#: legitimate-looking accounts carrying part of a flagged campaign's traffic (resellers)
mixed_accounts = Table(
    "mixed_accounts",
    metadata,
    Column("account_id", Integer, primary_key=True),
    Column("cluster_id", Integer, nullable=False),
    Column("share", Float, nullable=False),
    Column("campaign_events", Integer, nullable=False),
    Column("events", Integer, nullable=False),
)

ANALYSIS_TABLES = (analysis_runs, account_features, clusters, cluster_members, cluster_signals,
                   mixed_accounts)
