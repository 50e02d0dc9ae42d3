"""The detection entry points the CLI and the window call: analyze, then read results.

``analyze`` runs the whole pipeline (columns -> sampled prompt segments -> features -> links
-> Leiden -> scores -> campaign shares and mixed accounts) and stores everything in the case in one transaction at
the end; the read functions only query the stored tables, so they are instant and work on a
case analysed earlier or by a colleague.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

import app

from .columns import load_columns
from .config import DetectionConfig, load_config
from .errors import AnalysisCancelled, DetectionError
from .features import compute_features
from .graph import communities
from .linking import Links, build_links, cohort_links, lockstep_links
from .mixed import attach_outsiders, find_mixed, mixed_flags, refine_shares
from .pairs import distinct_pairs
from .scoring import SampledSegments, new_accounts, score_clusters
from .segments import SegmentIndex, sample_events
from .store import write_results

__all__ = ["AnalysisSummary", "ClusterInfo", "analyze", "list_clusters", "suspicious_accounts",
           "mixed_accounts", "analysis_is_current", "release_timestamp", "last_config"]


@dataclass
class AnalysisSummary:
    """What one analysis run found (the full results are in the case)."""

    run_id: int
    accounts: int
    events: int
    clusters: int
    flagged: int
    suspicious: int
    mixed: int
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class ClusterInfo:
    """A stored cluster: ``signals`` maps name -> (value, contribution)."""

    id: int
    accounts: int
    events: int
    score: float
    flagged: bool
    families: list[str]
    reasons: list[str]
    signals: dict[str, tuple[float, float]]
    details: dict[str, str]


def release_timestamp(case) -> int | None:
    """The analyst's release date (case meta ``release_date``) as UTC epoch seconds.

    Accepts ``YYYY-MM-DD``, an ISO 8601 date-time (UTC when no offset) or epoch milliseconds.

    Raises
    ------
    DetectionError
        The stored value is none of those.
    """
    raw = case.get_meta("release_date")
    if raw is None or not str(raw).strip():
        return None
    raw = str(raw).strip()
    if raw.lstrip("-").isdigit():
        return int(raw) // 1000
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise DetectionError(f"{case.path}: release_date {raw!r} is not a date "
                             "(use YYYY-MM-DD or an ISO 8601 time)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return int(when.timestamp())


def analyze(case, config: DetectionConfig | None = None,
            progress: Callable[[float, str], None] | None = None,
            cancelled: Callable[[], bool] | None = None) -> AnalysisSummary:
    """Detect coordinated campaigns in ``case`` and store the results in it.

    Parameters
    ----------
    case : app.core.case.Case
    config : DetectionConfig, optional
        The bundled ``resources/rules/detection.json`` when omitted.
    progress : callable, optional
        ``progress(fraction, message)``.
    cancelled : callable, optional
        Checked between steps; when it returns true :class:`AnalysisCancelled` is raised and
        the previous results stay in the case.

    Returns
    -------
    AnalysisSummary
    """
    cfg = config or load_config()
    started = time.time()
    timings: dict[str, float] = {}
    mark = [started]

    def step(fraction: float, message: str, name: str | None = None) -> None:
        now = time.time()
        if name:
            timings[name] = now - mark[0]
        mark[0] = now
        if cancelled is not None and cancelled():
            raise AnalysisCancelled("analysis cancelled; the previous results are unchanged")
        if progress is not None:
            progress(fraction, message)

    data_version = case.get_meta("data_version")
    release_ts = release_timestamp(case)
    step(0.0, "reading events")
    read_progress = None if progress is None else (lambda f, m: progress(0.4 * f, m))
    cols = load_columns(case, read_progress, cancelled)
    # features and lockstep first: the 28M (account, template) pairs of the full-scale case
    # are needed only here, and freeing them before the template text is read keeps the two
    # largest transients apart (peak memory)
    step(0.4, "computing account features", "read")
    n_tpl = int(cols.template_ids.size)
    family = cols.template  # exact masked template (features, lockstep)
    pairs = dict(cols.pairs)
    pairs["family"] = distinct_pairs(cols.account, family, n_tpl)
    features = compute_features(cols, family, pairs, cfg.shift_hours, release_ts)
    family_degree = pairs.pop("family").degree
    lock, _ = lockstep_links(cols.account, family, cols.ts, cfg, family_degree)
    del family_degree
    step(0.5, "reading prompt templates", "features")
    segments = SegmentIndex.empty(n_tpl)
    picked = sample_events(cols.account, cfg.segment_sample_per_account)
    segments.fetch(case, cols.template_ids, cols.template[picked])
    row, seg = segments.expand(cols.template[picked])
    sample = SampledSegments(cols.account[picked], row, seg, picked)
    del picked
    pairs["segment"] = distinct_pairs(sample.account[row], seg, segments.n_segments)
    step(0.6, "linking accounts", "segments")
    links = build_links(pairs, cfg)
    sp = pairs["segment"]
    main = np.zeros(cols.n_accounts, dtype=np.int64)
    shared = sp.pair_degree() >= 2
    if shared.any():  # the account's most used segment among those others use too
        order = np.lexsort((-sp.events[shared], sp.account[shared]))
        acc_sorted = sp.account[shared][order]
        first = np.r_[True, acc_sorted[1:] != acc_sorted[:-1]]
        main[acc_sorted[first]] = sp.value[shared][order][first]
    data_start = float(cols.ts.min()) if cols.ts.size else 0.0
    cohort = cohort_links(features["first_seen"] // 1000, main, sp.degree, cfg,
                          eligible=new_accounts(features, data_start, cfg.cohort_new_p))
    links = Links.concat([links, lock, cohort])
    step(0.75, "finding communities", "links")
    u, v, w = links.combined(cols.n_accounts)
    labels = communities(cols.n_accounts, u, v, w, cfg.leiden_iterations, cfg.leiden_resolution,
                         keep_whole=cfg.keep_whole_component)
    step(0.85, "scoring clusters", "communities")
    result = score_clusters(labels, cols, sample, pairs, links, features, cfg, release_ts)
    step(0.9, "measuring campaign shares", "scoring")
    against = refine_shares(case, cols, segments, sample, result, cfg)
    attach_outsiders(result, against, features["events"], cfg)
    flagged_member = np.zeros(cols.n_accounts, dtype=bool)
    for res in result.clusters:
        if res.flagged:
            flagged_member[res.members] = True
    mixed_flag = mixed_flags(result, against, features["events"], cfg)
    suspicious = (flagged_member & (result.account_score >= cfg.account_threshold)
                  & (result.campaign_share >= cfg.member_min_share) & ~mixed_flag)
    mixed = find_mixed(result, against, features["events"], mixed_flag)
    step(0.95, "saving results", "shares")
    run_id = write_results(case, cols.account_ids, features, result, mixed, mixed_flag, suspicious, cfg,
                           int(started * 1000), data_version, cols.n_events, timings,
                           app.__version__)
    timings["save"] = time.time() - mark[0]
    if progress is not None:
        progress(1.0, "analysis finished")
    return AnalysisSummary(
        run_id=run_id, accounts=cols.n_accounts, events=cols.n_events,
        clusters=len(result.clusters), flagged=sum(r.flagged for r in result.clusters),
        suspicious=int(suspicious.sum()), mixed=len(mixed), seconds=time.time() - started,
        timings=timings)


def _query(case, sql: str, params: tuple = ()) -> list[tuple]:
    with case.raw() as con:
        return con.execute(sql, params).fetchall()


def last_config(case) -> DetectionConfig | None:
    """The config of the stored analysis run (None when the case was never analysed)."""
    rows = _query(case, "SELECT config FROM analysis_runs ORDER BY id DESC LIMIT 1")
    if not rows:
        return None
    defaults = DetectionConfig()
    data = json.loads(rows[0][0])
    return defaults.with_(**{k: v for k, v in data.items() if hasattr(defaults, k)})


def analysis_is_current(case) -> bool:
    """True when stored results exist and no import happened since they were computed."""
    rows = _query(case, "SELECT data_version FROM analysis_runs ORDER BY id DESC LIMIT 1")
    return bool(rows) and rows[0][0] == case.get_meta("data_version")


def list_clusters(case, top: int | None = None) -> list[ClusterInfo]:
    """Stored clusters, flagged first then by score; ``top`` limits the count."""
    sql = "SELECT id, accounts, events, score, flagged, families, reasons FROM clusters ORDER BY id"
    rows = _query(case, sql + (" LIMIT ?" if top is not None else ""),
                  (int(top),) if top is not None else ())
    signals: dict[int, dict[str, tuple[float, float]]] = {}
    details: dict[int, dict[str, str]] = {}
    if rows:
        for cid, name, value, contribution, detail in _query(
                case, "SELECT cluster_id, name, value, contribution, detail FROM cluster_signals "
                      "WHERE cluster_id <= ?", (rows[-1][0],)):
            signals.setdefault(cid, {})[name] = (value, contribution)
            details.setdefault(cid, {})[name] = detail
    return [ClusterInfo(id=r[0], accounts=r[1], events=r[2], score=r[3], flagged=bool(r[4]),
                        families=[f for f in r[5].split(",") if f], reasons=json.loads(r[6]),
                        signals=signals.get(r[0], {}), details=details.get(r[0], {}))
            for r in rows]


def suspicious_accounts(case, threshold: float | None = None) -> list[tuple[str, int, float, str]]:
    """Accounts in flagged clusters whose account score is at least ``threshold``.

    Members below ``member_min_share`` of campaign-like traffic, and mixed accounts (see
    :func:`mixed_accounts`), are never listed.

    Returns
    -------
    list of (account name, cluster id, score, reasons) with the reasons joined by "; ",
    highest score first. The threshold defaults to the stored run's ``account_threshold``.
    """
    cfg = last_config(case) or DetectionConfig()
    if threshold is None:
        threshold = cfg.account_threshold
    min_share = cfg.member_min_share
    rows = _query(case, """
        SELECT a.name, m.cluster_id, m.score, c.reasons
        FROM cluster_members m JOIN clusters c ON c.id = m.cluster_id
        JOIN accounts a ON a.id = m.account_id
        WHERE c.flagged = 1 AND m.score >= ? AND m.campaign_share >= ? AND m.mixed = 0
        ORDER BY m.score DESC, a.name""", (float(threshold), float(min_share)))
    return [(name, cid, score, "; ".join(json.loads(reasons))) for name, cid, score, reasons in rows]


def mixed_accounts(case) -> list[tuple[str, int, float, int, int]]:
    """Accounts partly carrying a flagged campaign's traffic.

    Returns
    -------
    list of (account name, cluster id, campaign share, campaign events, events), largest
    campaign volume first.
    """
    return _query(case, """
        SELECT a.name, m.cluster_id, m.share, m.campaign_events, m.events
        FROM mixed_accounts m JOIN accounts a ON a.id = m.account_id
        ORDER BY m.campaign_events DESC, a.name""")
